// Tests of the fsync count: strace's -c summary parsed exactly, and a real attach that counts known calls.
import assert from 'node:assert/strict';
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { countSyncCalls, parseStraceSummary, straceUnavailable } from './fsync-count.ts';

describe('bench fsync count', () => {
  it('reads the calls column of strace -c, with or without an errors column', () => {
    const summary = [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      ' 60.44    0.008334         124        67           fsync',
      ' 39.56    0.005454          40       134         2 fdatasync',
      '  0.00    0.000000           0         3           sync_file_range',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.013788          68       204         2 total',
    ].join('\n');
    assert.deepEqual(parseStraceSummary(summary), { fsync: 67, fdatasync: 134, syncFileRange: 3 });
  });

  it('an empty summary (no traced call) is 0 of each; a line of another shape throws', () => {
    assert.deepEqual(parseStraceSummary(''), { fsync: 0, fdatasync: 0, syncFileRange: 0 });
    assert.throws(() => parseStraceSummary('strace: Process 1 attached\n'), /unexpected strace summary/);
  });

  it('counts exactly the sync calls made while attached', { skip: straceUnavailable() }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsv-fsync-count-'));
    const fd = openSync(join(dir, 'data'), 'w');
    try {
      const { calls, result } = await countSyncCalls(join(dir, 'summary.txt'), async () => {
        for (let i = 0; i < 7; i++) {
          writeSync(fd, 'x');
          fsyncSync(fd);
          fdatasyncSync(fd);
          fdatasyncSync(fd);
        }
        return 'done';
      });
      assert.equal(result, 'done');
      assert.deepEqual(calls, { fsync: 7, fdatasync: 14, syncFileRange: 0 });
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
