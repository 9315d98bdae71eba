// One partition of the embedded log: an append-only file, its offset index, a tail cache, and group commit.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DsvError } from '../../errors/index.ts';
import type { LogRecord } from '../commit-log.ts';
import { AppendSignal } from './append-signal.ts';
import { readAt, writeAt } from './file-io.ts';
import type { OffsetIndex } from './offset-index.ts';
import { scanPartitionFile } from './partition-scan.ts';
import { checkFrame, decodeFrame, encodeFrames, frameBytes } from './record-codec.ts';
import { TailCache } from './tail-cache.ts';
import { GroupCommit } from '../../platform/group-commit.ts';
import { SYNCED_WRITES, syncWritten } from '../../platform/durable-file.ts';

/** A group-commit batch stops growing here (one synced write per batch, SYNCED_WRITES). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** One read from the file returns at most this much (but always at least one record). */
const MAX_READ_BYTES = 4 * 1024 * 1024;
const TAIL_CACHE_BYTES = 4 * 1024 * 1024;

/** How many queued appends the next batch takes: up to MAX_BATCH_BYTES of frames, and always one. */
function takeBatch(queued: Iterable<{ keyBytes: Buffer; value: Uint8Array }>): number {
  let bytes = 0;
  let count = 0;
  for (const a of queued) {
    bytes += frameBytes(a.keyBytes.length, a.value.length);
    if (count > 0 && bytes > MAX_BATCH_BYTES) break;
    count++;
  }
  return count;
}

interface PendingAppend {
  readonly key: string;
  readonly keyBytes: Buffer;
  readonly value: Uint8Array;
}

export class PartitionFile {
  /** Group-commit batches synced by every partition file of this process (the benchmark counts them). */
  static #batchSyncs = 0;
  static get batchSyncs(): number {
    return PartitionFile.#batchSyncs;
  }
  readonly partition: number;
  readonly path: string;
  /** Bytes of torn tail dropped when the file was opened (0 after a clean shutdown). */
  readonly recoveredTailBytes: number;
  readonly appended = new AppendSignal();
  readonly #file: FileHandle;
  readonly #index: OffsetIndex;
  readonly #cache: TailCache;
  /** End of the last acknowledged frame; the next batch is written here. */
  #size: number;
  /** Timestamp given to the last batch: the clock may step back, a partition's timestamps never do. */
  #lastTimestamp: number;
  readonly #appends = new GroupCommit<PendingAppend, number>({
    take: takeBatch,
    write: (batch) => this.#writeBatch(batch),
    unexpected: (cause) => new DsvError('DSV_INTERNAL', 'Commit log writer failed', { cause }),
  });
  readonly #reads = new Set<Promise<unknown>>();

  private constructor(
    partition: number,
    path: string,
    file: FileHandle,
    index: OffsetIndex,
    size: number,
    dropped: number,
    lastTimestamp: number,
  ) {
    this.#lastTimestamp = lastTimestamp;
    this.partition = partition;
    this.path = path;
    this.#file = file;
    this.#index = index;
    this.#size = size;
    this.recoveredTailBytes = dropped;
    this.#cache = new TailCache(index.length, TAIL_CACHE_BYTES);
  }

  static async open(path: string, partition: number): Promise<PartitionFile> {
    // Every write is durable when it returns (SYNCED_WRITES): a batch is acknowledged after its write (I-L2).
    const file = await open(path, constants.O_RDWR | constants.O_CREAT | SYNCED_WRITES, 0o600);
    try {
      const { size } = await file.stat();
      const { index, validEnd, lastTimestamp } = await scanPartitionFile({
        file,
        fileSize: size,
        partition,
        path,
      });
      // A torn tail holds only records whose append never resolved (I-L2); drop it before writing after it.
      if (validEnd < size) await file.truncate(validEnd);
      // Always: O_DSYNC syncs only the ranges written through it, so bytes already in the file (written by a
      // process killed before its sync, or copied in by an operator) are made durable before anything is
      // acknowledged after them.
      await file.datasync();
      return new PartitionFile(partition, path, file, index, validEnd, size - validEnd, lastTimestamp);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** The next offset; only acknowledged (synced) records count, so readers never see an unsynced one. */
  get endOffset(): number {
    return this.#index.length;
  }

  /** Queues a record for the next group-commit batch; resolves with its offset once it is on disk (I-L2). */
  append(key: string, keyBytes: Buffer, value: Uint8Array): Promise<number> {
    // Copied now: a caller reusing its buffer must not change the record (I-L3).
    return this.#appends.append({ key, keyBytes, value: new Uint8Array(value) });
  }

  /** One batch: written and synced before any of its appends resolves (I-L2); the offsets it got. */
  async #writeBatch(batch: readonly PendingAppend[]): Promise<number[]> {
    const start = this.#size;
    // The log's own clock at append (I-X4), clamped so a partition's timestamps never go backwards.
    const timestamp = Math.max(Date.now(), this.#lastTimestamp);
    try {
      const frames = batch.map((a) => ({ key: a.keyBytes, value: a.value, timestamp }));
      await writeAt(this.#file, encodeFrames(frames), start);
      await syncWritten(this.#file); // I-L2: on disk (O_DSYNC, or fdatasync) before any append resolves
      PartitionFile.#batchSyncs += 1;
    } catch (cause) {
      // After a failed write or sync the file's state is unknown: the queue refuses further appends until the
      // log is reopened (recovery re-validates the file). Try to take back the bytes no consumer may see.
      await this.#file
        .truncate(start)
        .then(() => this.#file.datasync())
        .catch(() => undefined);
      throw new DsvError(
        'DSV_LOG_UNAVAILABLE',
        `Commit log partition ${this.partition} could not be written; reopen the log`,
        { cause },
      );
    }
    this.#lastTimestamp = timestamp;
    let pos = start;
    const offsets = batch.map((a) => {
      const offset = this.#index.length;
      this.#index.push(pos);
      this.#cache.add({ key: a.key, value: a.value, timestamp });
      pos += frameBytes(a.keyBytes.length, a.value.length);
      this.#size = pos;
      return offset;
    });
    this.appended.notify(); // synced already: a long-poll may hand the batch out before its appends resolve
    return offsets;
  }

  /** Records from `from` on that are acknowledged now, at most `max`; `[]` when there are none yet. */
  async read(from: number, max: number): Promise<LogRecord[]> {
    if (from >= this.#index.length) return [];
    if (from >= this.#cache.start) {
      return this.#cache
        .read(from, max)
        .map((r, i) => ({ partition: this.partition, offset: from + i, ...r }));
    }
    const reading = this.#readFile(from, Math.min(from + max, this.#cache.start));
    this.#reads.add(reading);
    try {
      return await reading;
    } finally {
      this.#reads.delete(reading);
    }
  }

  async #readFile(from: number, stop: number): Promise<LogRecord[]> {
    const first = this.#startOf(from);
    let last = from + 1;
    while (last < stop && this.#startOf(last + 1) - first <= MAX_READ_BYTES) last++;
    const buf = await readAt(this.#file, first, this.#startOf(last) - first);
    const records: LogRecord[] = [];
    let at = 0;
    for (let offset = from; offset < last; offset++) {
      const check = checkFrame(buf, first, first + at, first + buf.length);
      if (check.kind !== 'ok') {
        throw new DsvError(
          'DSV_LOG_CORRUPT',
          `Commit log partition ${this.partition} (${this.path}): the record at offset ${offset} no longer ` +
            `passes its integrity check; restore the file from a backup`,
          { details: { partition: this.partition, offset } },
        );
      }
      // `buf` is this read's own, so each value may be a view into it (I-L3: a mutation reaches nothing shared).
      const { key, value, timestamp } = decodeFrame(buf, at);
      records.push({ partition: this.partition, offset, key, value, timestamp });
      at = check.end - first;
    }
    return records;
  }

  /** File position where the frame of `offset` starts; the end of the file for the next offset. */
  #startOf(offset: number): number {
    return offset < this.#index.length ? this.#index.positionOf(offset) : this.#size;
  }

  /** Finishes queued appends and in-flight reads, wakes long-polls, then closes the file. */
  async close(): Promise<void> {
    await this.#appends.idle();
    await Promise.allSettled([...this.#reads]);
    this.appended.notify();
    await this.#file.close();
  }
}
