// Small helpers for values held in memory: bytes from the caller's input, constant-time equality, and a
// bounded fan-out that always lets every task finish (so whatever they produced can be wiped).
import { timingSafeEqual } from 'node:crypto';
import { DsvClientError } from './client-error.ts';

const encoder = new TextEncoder();

/** The value's bytes; `owned` when this library made them (then it wipes them after use). */
export function valueBytes(value: Uint8Array | string): { bytes: Uint8Array; owned: boolean } {
  if (value instanceof Uint8Array) return { bytes: value, owned: false };
  if (typeof value !== 'string')
    throw new DsvClientError('DSV_INPUT_INVALID', 'The value must be bytes or text');
  // A lone surrogate would be stored as U+FFFD: refused, as the server refuses it.
  if (!value.isWellFormed())
    throw new DsvClientError('DSV_INPUT_INVALID', 'The value is not well-formed Unicode');
  return { bytes: encoder.encode(value), owned: true };
}

/** Equal bytes, compared in constant time for equal lengths (the length itself is not hidden). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && timingSafeEqual(a, b);

/**
 * Runs `task` over `items`, at most `limit` at a time. After a failure no task starts, the running ones run to
 * their end (what they made can then be wiped), and the first failure is thrown.
 */
export async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const index = next++;
      try {
        await task(items[index] as T, index);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed.error;
}

/**
 * Asks `candidates` in order, `needed` at a time, a replacement for every failure, until `needed` answered:
 * resolves with those answers; rejects with `fail(failures)` once too few candidates are left.
 */
export function firstAnswers<C, A>(
  candidates: readonly C[],
  needed: number,
  attempt: (candidate: C) => Promise<A>,
  fail: (failures: unknown[]) => Error,
): Promise<A[]> {
  const answers: A[] = [];
  const failures: unknown[] = [];
  let next = 0;
  let running = 0;
  return new Promise((resolve, reject) => {
    const pump = (): void => {
      if (answers.length >= needed) return resolve(answers.slice(0, needed));
      while (running + answers.length < needed && next < candidates.length) {
        running++;
        attempt(candidates[next++] as C)
          .then((answer) => answers.push(answer))
          .catch((error: unknown) => failures.push(error))
          .finally(() => {
            running--;
            pump();
          });
      }
      // A settled promise ignores later calls, so answers after the first `needed` change nothing.
      if (running === 0 && answers.length < needed) reject(fail(failures));
    };
    pump();
  });
}
