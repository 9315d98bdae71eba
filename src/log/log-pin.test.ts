// I-L8: a node pins the log it follows; another log, or one that ends below what was applied, is refused.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { isDsvError } from '../errors/index.ts';
import { EmbeddedCommitLog } from './embedded/embedded-commit-log.ts';
import { checkLogPin, LogPin } from './log-pin.ts';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dsv-log-pin-'));
  dirs.push(dir);
  return dir;
}

const identityChanged = (error: unknown): boolean =>
  isDsvError(error) && error.code === 'DSV_LOG_IDENTITY_CHANGED';

void describe('log pin (I-L8)', () => {
  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  void it('I-L8: pins on the first check, accepts the same log after a reopen, refuses another directory', async () => {
    const db = new DatabaseSync(':memory:');
    const dirA = await freshDir();
    let log = await EmbeddedCommitLog.open({ dir: dirA, partitionCount: 2 });
    await log.append(0, 't', new Uint8Array([1]));
    await checkLogPin(db, log, () => 0);
    const row = db.prepare('SELECT cluster_id, topic_id FROM log_pin').get() as { topic_id: string };
    assert.equal(row.topic_id, (await log.identity()).topicId);
    await log.close();
    log = await EmbeddedCommitLog.open({ dir: dirA, partitionCount: 2 });
    await checkLogPin(db, log, (p) => (p === 0 ? 1 : 0));
    await log.close();

    const other = await EmbeddedCommitLog.open({ dir: await freshDir(), partitionCount: 2 });
    await assert.rejects(
      checkLogPin(db, other, () => 0),
      identityChanged,
    );
    await other.close();
  });

  void it('refuses a log with the pinned id whose partition ends below the applied offset', async () => {
    const db = new DatabaseSync(':memory:');
    const dirA = await freshDir();
    const log = await EmbeddedCommitLog.open({ dir: dirA, partitionCount: 2 });
    for (let i = 0; i < 3; i++) await log.append(1, 't', new Uint8Array([i]));
    await checkLogPin(db, log, (p) => (p === 1 ? 3 : 0));
    await log.close();
    // Same id, fewer records: a restored-from-old-backup or truncated log.
    const dirB = await freshDir();
    await copyFile(join(dirA, 'LOG_ID'), join(dirB, 'LOG_ID'));
    const truncated = await EmbeddedCommitLog.open({ dir: dirB, partitionCount: 2 });
    assert.deepEqual(await truncated.identity(), {
      clusterId: 'embedded',
      topicId: (await readFile(join(dirA, 'LOG_ID'), 'utf8')).trim(),
    });
    await assert.rejects(
      checkLogPin(db, truncated, (p) => (p === 1 ? 3 : 0)),
      (error: unknown) => {
        assert.ok(identityChanged(error));
        assert.match((error as Error).message, /partition 1 ends at offset 0/);
        return true;
      },
    );
    await truncated.close();
  });

  void it('a running pin that finds the log changed refuses every request after the next check', async () => {
    const db = new DatabaseSync(':memory:');
    const log = await EmbeddedCommitLog.open({ dir: await freshDir(), partitionCount: 1 });
    let applied = 0;
    const broken: unknown[] = [];
    const pin = await LogPin.check(
      db,
      log,
      () => applied,
      (error) => broken.push(error),
    );
    const hooks: { name: string; hook: () => Promise<void> }[] = [];
    pin.guard([{ addHook: (name: string, hook: () => Promise<void>) => hooks.push({ name, hook }) }], 60_000);
    const onRequest = hooks.find((h) => h.name === 'onRequest')?.hook;
    assert.ok(onRequest);
    await onRequest();
    await pin.recheck();
    assert.equal(pin.failure, undefined);
    applied = 5; // the node says it applied more than the log holds
    await pin.recheck();
    assert.ok(identityChanged(pin.failure));
    assert.equal(broken.length, 1);
    await assert.rejects(onRequest(), identityChanged);
    await hooks.find((h) => h.name === 'onClose')?.hook();
    await log.close();
  });
});
