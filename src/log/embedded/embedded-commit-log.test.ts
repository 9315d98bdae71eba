// The embedded commit log: the shared conformance suite, then what only a file-backed log has to show.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommitLog } from '../commit-log.ts';
import { runCommitLogConformance } from '../testing/conformance.ts';
import { EmbeddedCommitLog, partitionFileName } from './embedded-commit-log.ts';
import { SYNCED_WRITES } from '../../platform/durable-file.ts';
import { openFlagsOf } from '../../../test/testing/open-flags.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const dirs: string[] = [];
const dirOf = new WeakMap<CommitLog, string>();

runCommitLogConformance('EmbeddedCommitLog', {
  partitionCount: 3,
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'dsv-log-conformance-'));
    dirs.push(dir);
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 3 });
    dirOf.set(log, dir);
    return log;
  },
  async reopen(closed) {
    const dir = dirOf.get(closed);
    if (dir === undefined) throw new Error('reopen of a log this factory did not open');
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 3 });
    dirOf.set(log, dir);
    return log;
  },
  async dispose() {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  },
});

test('I-L2: every partition file is written through a descriptor opened with O_DSYNC (no fdatasync after it)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dsv-log-dsync-'));
  dirs.push(dir);
  const log = await EmbeddedCommitLog.open({ dir, partitionCount: 3 });
  try {
    for (let partition = 0; partition < 3; partition++) {
      await log.append(partition, 'k', Buffer.from('v'));
      const flags = openFlagsOf(join(dir, partitionFileName(partition)));
      assert.equal(flags.length, 1, `partition ${partition} is held open once`);
      assert.ok(
        flags.every((f) => (f & SYNCED_WRITES) !== 0),
        `flags ${flags.map((f) => f.toString(8)).join(' ')}`,
      );
    }
  } finally {
    await log.close();
  }
});
