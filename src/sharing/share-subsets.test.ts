// Subset search for reads: arrival order first, incompatible combinations pruned, and the search bounded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compatibleSubsets, distinctPoints, usableShares } from './share-subsets.ts';
import type { Share } from './shamir.ts';

const share = (x: number, length = 2, fill = x): Share => ({ x, y: new Uint8Array(length).fill(fill) });
const xs = (subsets: Iterable<Share[]>): number[][] => [...subsets].map((subset) => subset.map((s) => s.x));

void describe('share subsets', () => {
  void it('tries the first k shares first, then the others in lexicographic order', () => {
    const shares = [share(3), share(1), share(2), share(4)];
    assert.deepEqual(xs(compatibleSubsets(shares, 2)), [
      [3, 1],
      [3, 2],
      [3, 4],
      [1, 2],
      [1, 4],
      [2, 4],
    ]);
  });

  void it('never pairs two shares with the same x or with different lengths', () => {
    const shares = [share(1), share(1, 2, 9), share(2, 3), share(2), share(3, 3)];
    assert.deepEqual(xs(compatibleSubsets(shares, 2)), [
      [1, 2],
      [1, 2],
      [2, 3],
    ]);
  });

  void it('stops after the step budget, so hostile input cannot stall a read', () => {
    // 200 same-length shares over only 4 points: no 5-subset exists, but an unbounded search would visit
    // about 50^4 partial subsets before knowing it.
    const hostile = Array.from({ length: 200 }, (_, i) => share(1 + (i % 4), 2, i));
    const started = performance.now();
    assert.deepEqual(xs(compatibleSubsets(hostile, 5)), []);
    assert.ok(performance.now() - started < 1000);
    // The budget counts examined positions: 3 steps are choosing 1, then pairing it with 2 and with 3.
    assert.deepEqual(xs(compatibleSubsets([share(1), share(2), share(3), share(4)], 2, 3)), [
      [1, 2],
      [1, 3],
    ]);
  });

  void it('drops malformed shares and exact duplicates, keeps conflicting shares with the same x', () => {
    const a = share(1);
    const usable = usableShares([
      a,
      { x: 1, y: Uint8Array.from(a.y) },
      share(1, 2, 7),
      { x: 0, y: new Uint8Array(2) },
      { x: 1.5, y: new Uint8Array(2) },
      undefined as unknown as Share,
    ]);
    assert.deepEqual(usable, [a, share(1, 2, 7)]);
    assert.equal(distinctPoints(usable), 1);
  });
});
