// Argument checks every commit-log adapter applies the same way, so all adapters reject the same inputs
// with the same code (DSV_INPUT_INVALID) — the conformance suite checks this.
import { DsvError } from '../errors/index.ts';
import type { ReadOptions } from './commit-log.ts';

/**
 * A key is framed with a u16 length in the embedded format whose high bit flags a timestamp, so 15 bits are
 * left; Kafka has no tighter limit we rely on.
 */
export const MAX_KEY_BYTES = 0x7fff;

export function assertPartition(partition: number, partitionCount: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `Invalid log partition (expected an integer 0…${partitionCount - 1})`,
      {
        details: { partitionCount },
      },
    );
  }
}

export function assertOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new DsvError('DSV_INPUT_INVALID', 'Invalid log offset (expected a non-negative integer)');
  }
}

export function assertReadOptions(options: ReadOptions): void {
  if (!Number.isSafeInteger(options.maxRecords) || options.maxRecords < 1) {
    throw new DsvError('DSV_INPUT_INVALID', 'Invalid maxRecords (expected a positive integer)');
  }
  if (!Number.isFinite(options.maxWaitMs) || options.maxWaitMs < 0) {
    throw new DsvError('DSV_INPUT_INVALID', 'Invalid maxWaitMs (expected a non-negative number)');
  }
}

/** Checks the key and value of an append and returns the key's UTF-8 bytes. */
export function encodeRecordKey(key: string, value: Uint8Array, maxValueBytes: number): Buffer {
  // A lone surrogate would not survive UTF-8 and come back different (I-L3), so it is refused.
  if (typeof key !== 'string' || !key.isWellFormed()) {
    throw new DsvError('DSV_INPUT_INVALID', 'Invalid log key (expected a well-formed string)');
  }
  if (!(value instanceof Uint8Array)) {
    throw new DsvError('DSV_INPUT_INVALID', 'Invalid log value (expected bytes)');
  }
  const keyBytes = Buffer.from(key, 'utf8');
  if (keyBytes.length > MAX_KEY_BYTES) {
    throw new DsvError('DSV_INPUT_INVALID', `Log key too long (at most ${MAX_KEY_BYTES} UTF-8 bytes)`);
  }
  if (value.byteLength > maxValueBytes) {
    throw new DsvError('DSV_INPUT_INVALID', `Log value too large (at most ${maxValueBytes} bytes)`);
  }
  return keyBytes;
}
