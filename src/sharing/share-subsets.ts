// Which k-subsets of the shares a read tries, in which order, and how many at most (DESIGN §7 step 3).
import { isWellFormedShare, type Share } from './shamir.ts';

/** At most this many k-subsets are combined and checked per read, so hostile input cannot stall a node. */
export const MAX_SUBSETS = 1000;

/** At most this many candidate positions are examined while searching for compatible subsets. */
export const MAX_SEARCH_STEPS = 100_000;

/**
 * The shares a read can use, in arrival order: malformed ones (x outside 1..255, y not bytes) are dropped
 * rather than failing the read, and exact duplicates are kept once so they cannot pose as distinct shares.
 * Shares with the same x but different y both stay: at most one of them is right, and the search decides.
 */
export function usableShares(shares: readonly Share[]): Share[] {
  const usable: Share[] = [];
  for (const share of shares) {
    if (!isWellFormedShare(share)) continue;
    if (usable.some((kept) => kept.x === share.x && sameBytes(kept.y, share.y))) continue;
    usable.push(share);
  }
  return usable;
}

/** How many different evaluation points the shares cover: reconstruction needs k of them. */
export function distinctPoints(shares: readonly Share[]): number {
  return new Set(shares.map((share) => share.x)).size;
}

/**
 * Yields every k-subset with distinct x and equal y length, in lexicographic order of position, so the first
 * subset tried is the first k shares that arrived (the common case: all of them are right). Incompatible
 * combinations are pruned as soon as they appear, not enumerated; the search stops after `maxSteps`.
 */
export function* compatibleSubsets(
  shares: readonly Share[],
  k: number,
  maxSteps: number = MAX_SEARCH_STEPS,
): Generator<Share[]> {
  const chosen: Share[] = [];
  const usedPoints = new Set<number>();
  let steps = 0;
  function* extend(start: number): Generator<Share[]> {
    if (chosen.length === k) {
      yield [...chosen];
      return;
    }
    for (let p = start; p <= shares.length - (k - chosen.length); p++) {
      if (++steps > maxSteps) return;
      const share = shares[p]!;
      if (usedPoints.has(share.x)) continue;
      if (chosen.length > 0 && share.y.length !== chosen[0]!.y.length) continue;
      chosen.push(share);
      usedPoints.add(share.x);
      yield* extend(p + 1);
      chosen.pop();
      usedPoints.delete(share.x);
    }
  }
  yield* extend(0);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
