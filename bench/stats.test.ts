// Unit tests for the bench's statistics and table printer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNumber, formatTable } from './report.ts';
import { percentile, ratio, summarise } from './stats.ts';

describe('bench stats', () => {
  it('nearest-rank percentiles of 1..100 are the ranks themselves', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 100), 100);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('summarise sorts numerically and computes throughput over the window', () => {
    const summary = summarise([10, 2, 1, 30], 2000);
    assert.equal(summary.p50Ms, 2);
    assert.equal(summary.p99Ms, 30);
    assert.equal(summary.count, 4);
    assert.equal(summary.perSecond, 2);
  });

  it('a ratio with a missing side is NaN, never a made-up figure', () => {
    assert.equal(ratio(6, 3), 2);
    assert.ok(Number.isNaN(ratio(1, 0)));
    assert.ok(Number.isNaN(ratio(Number.NaN, 1)));
  });
});

describe('bench report', () => {
  it('formats numbers for reading and aligns numeric columns right', () => {
    assert.equal(formatNumber(0.123456), '0.123');
    assert.equal(formatNumber(12.5), '12.5');
    assert.equal(formatNumber(12345.6), '12346');
    assert.equal(formatNumber(Number.NaN), '–');
    const table = formatTable(
      ['name', 'ms'],
      [
        ['a', 1.5],
        ['long name', 20],
      ],
    );
    assert.equal(
      table,
      ['name      | ms', '----------|----', 'a         | 1.5', 'long name |  20'].join('\n'),
    );
  });
});
