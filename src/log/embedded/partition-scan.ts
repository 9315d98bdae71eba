// Recovery of one partition file on open: index every valid frame, find where a torn tail begins, and tell
// a torn tail (crash mid-write: drop it) from corruption in the middle (refuse to open) — I-L2.
import type { FileHandle } from 'node:fs/promises';
import { DsvError } from '../../errors/index.ts';
import { readAt } from './file-io.ts';
import { OffsetIndex } from './offset-index.ts';
import { checkFrame, FRAME_HEADER_BYTES, frameTimestamp } from './record-codec.ts';

const CHUNK_BYTES = 1024 * 1024;

export interface ScanResult {
  readonly index: OffsetIndex;
  /** End of the last valid frame; bytes after it are a torn tail to truncate. */
  readonly validEnd: number;
  /** Timestamp of the last valid frame (0 when there is none, or it predates timestamps). */
  readonly lastTimestamp: number;
}

export interface ScanTarget {
  readonly file: FileHandle;
  readonly fileSize: number;
  readonly partition: number;
  readonly path: string;
}

export async function scanPartitionFile(target: ScanTarget): Promise<ScanResult> {
  const { file, fileSize } = target;
  const index = new OffsetIndex();
  let buf: Buffer = Buffer.alloc(0);
  let bufStart = 0;
  let pos = 0;
  let lastTimestamp = 0;
  while (pos < fileSize) {
    const check = checkFrame(buf, bufStart, pos, fileSize);
    if (check.kind === 'ok') {
      index.push(pos);
      lastTimestamp = frameTimestamp(buf, pos - bufStart);
      pos = check.end;
    } else if (check.kind === 'short') {
      const want = Math.min(Math.max(CHUNK_BYTES, check.need), fileSize - pos);
      buf = await readAt(file, pos, want);
      bufStart = pos;
      if (buf.length < want) throw changedUnderUs(target);
    } else {
      const reason = check.kind === 'torn' ? 'record cut short' : check.reason;
      const next = await findValidFrame(file, pos + 1, fileSize);
      if (next !== undefined) throw corrupt(target, pos, index.length, reason, next);
      return { index, validEnd: pos, lastTimestamp };
    }
  }
  return { index, validEnd: pos, lastTimestamp };
}

/**
 * Looks for any whole, valid frame starting after `from`. A crash can only damage the last, unsynced batch,
 * so a valid frame after a damaged one means acknowledged records were damaged: that must not be truncated
 * away silently. Garbage rarely has a plausible length, so this is one cheap pass over the tail.
 */
async function findValidFrame(file: FileHandle, from: number, fileSize: number): Promise<number | undefined> {
  let buf: Buffer = Buffer.alloc(0);
  let bufStart = from;
  for (let q = from; q + FRAME_HEADER_BYTES + 2 <= fileSize; q++) {
    if (q + FRAME_HEADER_BYTES > bufStart + buf.length) {
      buf = await readAt(file, q, Math.min(CHUNK_BYTES, fileSize - q));
      bufStart = q;
    }
    let check = checkFrame(buf, bufStart, q, fileSize);
    if (check.kind === 'short') {
      const whole = await readAt(file, q, check.need);
      check = checkFrame(whole, q, q, fileSize);
    }
    if (check.kind === 'ok') return q;
  }
  return undefined;
}

function corrupt(target: ScanTarget, pos: number, offset: number, reason: string, next: number): DsvError {
  return new DsvError(
    'DSV_LOG_CORRUPT',
    `Commit log partition ${target.partition} (${target.path}) is corrupt at byte ${pos} (offset ${offset}: ` +
      `${reason}) and valid records follow at byte ${next}, so acknowledged records were damaged. Restore the ` +
      `file from a backup; only if the process crashed mid-write may the file be truncated at byte ${pos}.`,
    { details: { partition: target.partition, bytePosition: pos, offset } },
  );
}

function changedUnderUs(target: ScanTarget): DsvError {
  return new DsvError(
    'DSV_LOG_UNAVAILABLE',
    `Commit log partition ${target.partition} (${target.path}) shrank while it was being recovered`,
  );
}
