// The directory lock: one process (and one open instance) owns an embedded log; stale locks are taken over.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { EmbeddedCommitLog } from './embedded-commit-log.ts';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dsv-log-lock-'));
  dirs.push(dir);
  return dir;
}

/** Tries to open `dir` from another Node process; returns the error code it got, or 'opened'. */
function openFromAnotherProcess(dir: string): string {
  const moduleUrl = pathToFileURL(join(import.meta.dirname, 'embedded-commit-log.ts')).href;
  const script = `
    const { EmbeddedCommitLog } = await import(${JSON.stringify(moduleUrl)});
    try {
      const log = await EmbeddedCommitLog.open({ dir: ${JSON.stringify(dir)}, partitionCount: 1 });
      await log.append(0, 'intruder', new Uint8Array(1));
      await log.close();
      console.log('opened');
    } catch (error) {
      console.log(error.code);
    }`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.trim();
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid !== undefined);
  return child.pid;
}

void describe('embedded log directory lock', () => {
  void it('another process cannot open the log while it is open, and can once it is closed', async () => {
    const dir = await freshDir();
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 1 });
    assert.equal((await readFile(join(dir, 'LOCK'), 'utf8')).trim(), String(process.pid));
    assert.equal(openFromAnotherProcess(dir), 'DSV_LOG_UNAVAILABLE');
    assert.equal(await log.endOffset(0), 0, 'the other process appended nothing');
    await log.close();
    await assert.rejects(stat(join(dir, 'LOCK')), 'close releases the lock');
    assert.equal(openFromAnotherProcess(dir), 'opened');
  });

  void it('a second open in the same process is refused while the first is open', async () => {
    const dir = await freshDir();
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 1 });
    await assert.rejects(EmbeddedCommitLog.open({ dir, partitionCount: 1 }), {
      code: 'DSV_LOG_UNAVAILABLE',
      message: /locked by this process/,
    });
    await log.append(0, 'k', new Uint8Array([1]));
    await log.close();
    const again = await EmbeddedCommitLog.open({ dir, partitionCount: 1 });
    assert.equal(await again.endOffset(0), 1);
    await again.close();
  });

  void it('a stale lock whose process is gone is taken over', async () => {
    const dir = await freshDir();
    const stale = deadPid();
    await writeFile(join(dir, 'LOCK'), `${stale}\n`);
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 1 });
    assert.equal((await readFile(join(dir, 'LOCK'), 'utf8')).trim(), String(process.pid));
    await log.close();
    await assert.rejects(stat(join(dir, 'LOCK')));
  });

  void it('an empty lock file (its writer died before writing the pid) is taken over after a pause', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'LOCK'), '');
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 1 });
    await log.close();
  });
});
