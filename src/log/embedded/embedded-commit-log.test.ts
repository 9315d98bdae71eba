// The embedded commit log: the shared conformance suite, then what only a file-backed log has to show.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommitLog } from '../commit-log.ts';
import { runCommitLogConformance } from '../testing/conformance.ts';
import { EmbeddedCommitLog } from './embedded-commit-log.ts';

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
