// Cross-check against the independently audited `shamir-secret-sharing` package (same field, 0x11b): each
// implementation combines the other's shares. Its share format is y ‖ x (x last, chosen at random).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combine, split } from 'shamir-secret-sharing';
import { combineBytes, splitBytes, type Share } from './shamir.ts';

const fromTheirs = (bytes: Uint8Array): Share => ({ x: bytes[bytes.length - 1]!, y: bytes.slice(0, -1) });
const toTheirs = (share: Share): Uint8Array => Uint8Array.of(...share.y, share.x);

const cases = fc.record({
  secret: fc.uint8Array({ minLength: 1, maxLength: 48 }),
  n: fc.integer({ min: 2, max: 8 }),
  kSeed: fc.nat(),
  pickSeed: fc.nat(),
});

/** k distinct positions out of n, chosen deterministically from a seed. */
function pick(n: number, k: number, seed: number): number[] {
  const positions = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = (seed + i * 7919) % (i + 1);
    [positions[i], positions[j]] = [positions[j]!, positions[i]!];
  }
  return positions.slice(0, k);
}

void describe('interoperability with shamir-secret-sharing', () => {
  void it('combineBytes reconstructs secrets split by shamir-secret-sharing', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ secret, n, kSeed, pickSeed }) => {
        const k = 2 + (kSeed % (n - 1));
        const theirs = (await split(secret, n, k)).map(fromTheirs);
        assert.deepEqual(combineBytes(pick(n, k, pickSeed).map((i) => theirs[i]!)), secret);
      }),
    );
  });

  void it('shamir-secret-sharing combines secrets split by splitBytes', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ secret, n, kSeed, pickSeed }) => {
        const k = 2 + (kSeed % (n - 1));
        const ours = splitBytes(secret, n, k).map(toTheirs);
        assert.deepEqual(await combine(pick(n, k, pickSeed).map((i) => ours[i]!)), secret);
      }),
    );
  });
});
