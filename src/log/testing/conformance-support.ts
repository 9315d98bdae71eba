// Helpers shared by the commit-log conformance groups: lifecycle, full reads, byte and error assertions.
import assert from 'node:assert/strict';
import { isDsvError, type ErrorCode } from '../../errors/index.ts';
import type { CommitLog, LogRecord } from '../commit-log.ts';
import type { CommitLogFactory } from './conformance.ts';

/** Upper bound on "promptly" (abort, wake-up on append, close): generous enough for a real broker. */
export const PROMPT_MS = 1500;
/** Per-test timeout: a Kafka topic is created for each test. */
export const TEST_TIMEOUT_MS = 120_000;

/** Opens a fresh log, runs `fn`, and closes the log whatever happens. */
export async function withLog<T>(factory: CommitLogFactory, fn: (log: CommitLog) => Promise<T>): Promise<T> {
  const log = await factory.open();
  try {
    return await fn(log);
  } finally {
    await log.close();
  }
}

/** Every record of `partition` from `from` up to its end offset, checking offsets are dense (I-L1). */
export async function readAll(log: CommitLog, partition: number, from = 0): Promise<LogRecord[]> {
  const end = await log.endOffset(partition);
  const out: LogRecord[] = [];
  let next = from;
  while (next < end) {
    const records = await log.read(partition, next, { maxRecords: 1000, maxWaitMs: PROMPT_MS });
    assert.ok(records.length > 0, `read(${partition}, ${next}) returned nothing below end offset ${end}`);
    for (const r of records) {
      assert.equal(r.partition, partition);
      assert.equal(r.offset, next, 'I-L1: offsets are dense and in order');
      out.push(r);
      next++;
    }
  }
  return out;
}

export function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** Byte equality that ignores the view type (Buffer vs Uint8Array) and reports sizes, not contents. */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.byteLength, expected.byteLength, `${what}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: bytes differ`);
}

export async function assertDsvRejects(
  promise: Promise<unknown>,
  code: ErrorCode,
  what: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isDsvError(error), `${what}: expected a DsvError, got ${String(error)}`);
    assert.equal(error.code, code, `${what}: code`);
    return true;
  });
}

/** Deterministic pseudo-random bytes (no secret material in tests, and reproducible failures). */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
