// Option values: durations, limits, versions and instants; a bad one is commander's usage error (exit 2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { duration, instant, limitOrNone, positiveInteger } from './option-parsers.ts';
import { startProgress } from './progress.ts';

describe('option parsers', () => {
  it('durations', () => {
    assert.equal(duration('90'), 90);
    assert.equal(duration('1h30m'), 5400);
    assert.equal(duration('7d'), 604800);
    for (const bad of ['', 'soon', '1x', 'h1', '0s', '1h 30m'])
      assert.throws(() => duration(bad), InvalidArgumentError);
  });

  it('limits, versions, instants', () => {
    assert.equal(limitOrNone('none'), 'none');
    assert.equal(limitOrNone('4096'), 4096);
    assert.throws(() => limitOrNone('-1'), InvalidArgumentError);
    assert.equal(positiveInteger('3'), 3);
    for (const bad of ['0', '1.5', 'abc', '-2', '1e3'])
      assert.throws(() => positiveInteger(bad), InvalidArgumentError);
    assert.equal(instant('2026-01-31T12:00:00+01:00'), '2026-01-31T11:00:00.000Z');
    assert.throws(() => instant('yesterday'), InvalidArgumentError);
  });

  it('progress writes nothing to a stream that is not a terminal', () => {
    const written: string[] = [];
    const stream = {
      isTTY: false,
      write: (text: string) => written.push(text),
    } as unknown as NodeJS.WriteStream;
    const progress = startProgress('working', stream);
    progress.update('still working');
    progress.stop();
    assert.equal(written.length, 0);
    const tty = { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    startProgress('working', tty).stop();
    assert.match(written.join(''), /working/);
    assert.ok(written.at(-1)?.endsWith('\x1b[2K'), 'the line is cleared when it stops');
  });
});
