// Recovery of the embedded log on open: torn tails are truncated (I-L2), damage before valid records is refused.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDsvError } from '../../errors/index.ts';
import { EmbeddedCommitLog, partitionFileName } from './embedded-commit-log.ts';
import { frameBytes } from './record-codec.ts';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const VALUES = ['zero', 'one', 'two two', 'three three three', 'four'];

/** A closed log whose partition 0 holds VALUES (key 'k'); returns its dir and the partition file. */
async function closedLog(): Promise<{ dir: string; file: string; frameStarts: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'dsv-log-recovery-'));
  dirs.push(dir);
  const log = await EmbeddedCommitLog.open({ dir, partitionCount: 2 });
  const frameStarts: number[] = [];
  let pos = 0;
  for (const v of VALUES) {
    await log.append(0, 'k', Buffer.from(v));
    frameStarts.push(pos);
    pos += frameBytes(1, Buffer.byteLength(v));
  }
  await log.close();
  return { dir, file: join(dir, partitionFileName(0)), frameStarts };
}

async function values(log: EmbeddedCommitLog): Promise<string[]> {
  const records = await log.read(0, 0, { maxRecords: 100, maxWaitMs: 0 });
  return records.map((r) => Buffer.from(r.value).toString());
}

async function patchByte(file: string, position: number, change: (byte: number) => number): Promise<void> {
  const bytes = await readFile(file);
  const handle = await open(file, 'r+');
  await handle.write(Buffer.from([change(bytes[position] ?? 0)]), 0, 1, position);
  await handle.close();
}

async function assertCorrupt(dir: string, offset: number): Promise<void> {
  await assert.rejects(EmbeddedCommitLog.open({ dir, partitionCount: 2 }), (error: unknown) => {
    assert.ok(isDsvError(error));
    assert.equal(error.code, 'DSV_LOG_CORRUPT');
    assert.equal(error.details?.['offset'], offset);
    assert.match(error.message, /valid records follow/);
    return true;
  });
  await assert.rejects(stat(join(dir, 'LOCK')), 'a failed open releases the lock');
}

void describe('embedded log recovery', () => {
  void it('I-L2: a tail chopped mid-record is dropped; earlier records stay and the next offset follows', async () => {
    const { dir, file } = await closedLog();
    const { size } = await stat(file);
    await truncate(file, size - 3);
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 2 });
    assert.deepEqual(await values(log), VALUES.slice(0, 4));
    assert.equal(log.recoveredTailBytes[0], frameBytes(1, 4) - 3);
    assert.equal((await log.append(0, 'k', Buffer.from('five'))).offset, 4);
    await log.close();
    const again = await EmbeddedCommitLog.open({ dir, partitionCount: 2 });
    assert.deepEqual(await values(again), [...VALUES.slice(0, 4), 'five']);
    assert.deepEqual(again.recoveredTailBytes, [0, 0]);
    await again.close();
  });

  void it('I-L2: garbage or zeros after the last record (a crash mid-write) are truncated', async () => {
    for (const tail of [
      Buffer.from('not a record, just garbage bytes'),
      Buffer.alloc(4096),
      Buffer.alloc(5, 1),
    ]) {
      const { dir, file } = await closedLog();
      const { size } = await stat(file);
      await appendFile(file, tail);
      const log = await EmbeddedCommitLog.open({ dir, partitionCount: 2 });
      assert.deepEqual(await values(log), VALUES);
      assert.equal(await log.endOffset(0), VALUES.length);
      assert.equal((await stat(file)).size, size, 'the torn tail is gone from the file');
      await log.close();
    }
  });

  void it('I-L2: a damaged last record is a corrupt tail: dropped, earlier records intact', async () => {
    const { dir, file, frameStarts } = await closedLog();
    await patchByte(file, (frameStarts[4] ?? 0) + 11, (b) => b ^ 0x40);
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 2 });
    assert.deepEqual(await values(log), VALUES.slice(0, 4));
    await log.close();
  });

  void it('a record failing its crc in the middle is detected and the log refuses to open', async () => {
    const { dir, file, frameStarts } = await closedLog();
    await patchByte(file, (frameStarts[2] ?? 0) + 12, (b) => b ^ 0x01);
    await assertCorrupt(dir, 2);
  });

  void it('a damaged length field in the middle is detected too', async () => {
    const { dir, file, frameStarts } = await closedLog();
    await patchByte(file, frameStarts[1] ?? 0, () => 0xff);
    await assertCorrupt(dir, 1);
  });

  void it('a record damaged on disk after open is refused on read, not returned', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsv-log-recovery-'));
    dirs.push(dir);
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 2 });
    // 6 MiB of records push the first ones out of the in-memory tail cache, so they are read from the file.
    for (let i = 0; i < 6; i++) await log.append(0, 'k', Buffer.alloc(1024 * 1024, i));
    await patchByte(join(dir, partitionFileName(0)), 100, (b) => b ^ 0xff);
    await assert.rejects(log.read(0, 0, { maxRecords: 1, maxWaitMs: 0 }), { code: 'DSV_LOG_CORRUPT' });
    const latest = await log.read(0, 5, { maxRecords: 1, maxWaitMs: 0 });
    assert.equal(latest[0]?.value[0], 5);
    await log.close();
  });

  void it('reopening with another partition count is refused (records are routed by partition)', async () => {
    const { dir } = await closedLog();
    await assert.rejects(EmbeddedCommitLog.open({ dir, partitionCount: 3 }), { code: 'DSV_INPUT_INVALID' });
    await assert.rejects(EmbeddedCommitLog.open({ dir, partitionCount: 0 }), { code: 'DSV_INPUT_INVALID' });
    const log = await EmbeddedCommitLog.open({ dir, partitionCount: 2 });
    assert.deepEqual(await values(log), VALUES);
    await log.close();
  });
});
