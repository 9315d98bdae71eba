// The embedded commit-log adapter (DESIGN §2, §5): one append-only file per partition in one directory,
// durable before acknowledgement with group commit, shared by every in-process user (`dsv dev`).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../../errors/index.ts';
import type { AppendResult, CommitLog, LogIdentity, LogRecord, ReadOptions } from '../commit-log.ts';
import { assertOffset, assertPartition, assertReadOptions, encodeRecordKey } from '../log-input.ts';
import { DirLock } from '../../platform/dir-lock.ts';
import { syncDir } from '../../platform/sync-dir.ts';
import { checkOrWriteMeta, loadOrCreateLogId } from './log-meta.ts';
import { PartitionFile } from './partition-file.ts';
import { MAX_VALUE_BYTES } from './record-codec.ts';

/** Each partition holds one open file; this keeps a mistyped count from exhausting descriptors. */
const MAX_PARTITIONS = 1024;

export interface EmbeddedCommitLogOptions {
  /** Directory owned by this log (created if missing); one process at a time (`dir/LOCK`). */
  readonly dir: string;
  /** Fixed when the directory is created; reopening with another count is refused. */
  readonly partitionCount: number;
}

export class EmbeddedCommitLog implements CommitLog {
  readonly partitionCount: number;
  readonly dir: string;
  readonly #partitions: readonly PartitionFile[];
  readonly #lock: DirLock;
  readonly #logId: string;
  #closing: Promise<void> | undefined;

  private constructor(dir: string, partitions: readonly PartitionFile[], lock: DirLock, logId: string) {
    this.dir = dir;
    this.#logId = logId;
    this.partitionCount = partitions.length;
    this.#partitions = partitions;
    this.#lock = lock;
  }

  /**
   * Opens (or creates) the log in `options.dir`: takes the directory lock, then recovers every partition —
   * a torn tail is truncated, corruption followed by valid records rejects with DSV_LOG_CORRUPT.
   */
  static async open(options: EmbeddedCommitLogOptions): Promise<EmbeddedCommitLog> {
    const { dir, partitionCount } = options;
    if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > MAX_PARTITIONS) {
      throw new DsvError('DSV_INPUT_INVALID', `partitionCount must be an integer 1…${MAX_PARTITIONS}`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // One writer per directory (I-L1, I-L2).
    const lock = await DirLock.acquire(dir, { what: 'commit log', code: 'DSV_LOG_UNAVAILABLE' });
    const partitions: PartitionFile[] = [];
    let logId: string;
    try {
      await checkOrWriteMeta(dir, partitionCount);
      logId = await loadOrCreateLogId(dir);
      for (let p = 0; p < partitionCount; p++) {
        partitions.push(await PartitionFile.open(join(dir, partitionFileName(p)), p));
      }
      await syncDir(dir);
    } catch (error) {
      await Promise.allSettled(partitions.map((p) => p.close()));
      await lock.release();
      throw error;
    }
    return new EmbeddedCommitLog(dir, partitions, lock, logId);
  }

  /** Bytes of torn tail dropped per partition when this log was opened (all 0 after a clean close). */
  get recoveredTailBytes(): readonly number[] {
    return this.#partitions.map((p) => p.recoveredTailBytes);
  }

  async append(partition: number, key: string, value: Uint8Array): Promise<AppendResult> {
    const target = this.#partition(partition);
    const keyBytes = encodeRecordKey(key, value, MAX_VALUE_BYTES);
    const offset = await target.append(key, keyBytes, value);
    return { partition, offset };
  }

  async read(partition: number, fromOffset: number, options: ReadOptions): Promise<LogRecord[]> {
    const target = this.#partition(partition);
    assertOffset(fromOffset);
    assertReadOptions(options);
    const { signal } = options;
    signal?.throwIfAborted();
    const deadline = performance.now() + options.maxWaitMs;
    for (;;) {
      const records = await target.read(fromOffset, options.maxRecords);
      if (records.length > 0) return records;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return [];
      // Long-poll: woken by the next acknowledged append (or close), then look again. Checked before the
      // wait, so a close() that has already woken waiters is not missed, and after it, so a woken reader
      // never touches a closing file.
      this.#assertOpen();
      await target.appended.wait(remaining, signal);
      this.#assertOpen();
    }
  }

  async endOffset(partition: number): Promise<number> {
    return this.#partition(partition).endOffset;
  }

  /** 'embedded' and the random id kept in the directory's LOG_ID file since it was first opened. */
  async identity(): Promise<LogIdentity> {
    this.#assertOpen();
    return { clusterId: 'embedded', topicId: this.#logId };
  }

  /**
   * Stops taking appends, finishes the queued ones, ends long-polls (they reject with
   * DSV_LOG_UNAVAILABLE), closes the files and releases the lock. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await Promise.all(this.#partitions.map((p) => p.close()));
    } finally {
      await this.#lock.release();
    }
  }

  #partition(partition: number): PartitionFile {
    this.#assertOpen();
    assertPartition(partition, this.partitionCount);
    const target = this.#partitions[partition];
    if (target === undefined) throw new DsvError('DSV_INTERNAL', 'partition table out of step');
    return target;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new DsvError('DSV_LOG_UNAVAILABLE', 'Commit log is closed');
  }
}

export function partitionFileName(partition: number): string {
  return `partition-${String(partition).padStart(5, '0')}.log`;
}
