// Proactive share refresh maths (I-R2): zero-constant dealings keep the value and void old shares; the masked
// zero check lets an honest subset catch a dealer whose polynomial has a non-zero constant term.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DsvError } from '../errors/index.ts';
import { combineBytes, reconstructSecret, splitSecret, type Share } from './index.ts';
import {
  checkMacContext,
  checkSubsets,
  dealingContext,
  dealZeroPolynomial,
  MAX_CHECK_SUBSETS,
  openDealing,
  pairMac,
  pairMacMatches,
  sealDealing,
  subsetContext,
  sumUpdates,
  zeroCheckContribution,
  zeroCheckHolds,
} from './share-refresh.ts';

const identity = { tenant: 't', namespace: 'ns', name: 'db/password', version: 3 };

/** One secret per unordered pair of xs (in the cluster: the two holders' X25519 ECDH). */
function pairSecrets(xs: readonly number[]): (a: number, b: number) => Uint8Array {
  const secrets = new Map<string, Uint8Array>();
  for (const a of xs)
    for (const b of xs) if (a < b) secrets.set(`${a}-${b}`, new Uint8Array(randomBytes(32)));
  return (a, b) => secrets.get(a < b ? `${a}-${b}` : `${b}-${a}`) ?? new Uint8Array();
}

/** Every participant deals, every value travels sealed, every participant sums what it received. */
function runDealing(
  xs: readonly number[],
  k: number,
  length: number,
  secretOf: (a: number, b: number) => Uint8Array,
  cheat?: { dealer: number; offset: Uint8Array },
): Map<number, Uint8Array> {
  const received = new Map<number, Uint8Array[]>(xs.map((x) => [x, []]));
  for (const dealer of xs) {
    const dealt = dealZeroPolynomial(xs, k, length);
    for (const [to, value] of dealt) {
      // A cheating dealer adds a constant to every value: its polynomial's constant term is no longer 0.
      if (cheat?.dealer === dealer) for (let i = 0; i < length; i++) value[i]! ^= cheat.offset[i]!;
      if (to === dealer) {
        received.get(to)?.push(value);
        continue;
      }
      const context = dealingContext('base', dealer, to);
      const sealed = sealDealing(secretOf(dealer, to), context, value);
      received.get(to)?.push(openDealing(secretOf(dealer, to), context, sealed.masked, sealed.mac));
    }
  }
  return new Map(xs.map((x) => [x, sumUpdates(received.get(x) ?? [])]));
}

/** Each member's zero-check value for `subset`; `lie` lets one member replace its own. */
function subsetContributions(
  subset: readonly number[],
  updates: ReadonlyMap<number, Uint8Array>,
  secretOf: (a: number, b: number) => Uint8Array,
  lie?: { member: number; value: (honest: Uint8Array) => Uint8Array },
): Uint8Array[] {
  const context = subsetContext('base', subset);
  return subset.map((x) => {
    const honest = zeroCheckContribution({
      x,
      subset,
      update: updates.get(x) ?? new Uint8Array(),
      pairSecrets: new Map(subset.filter((o) => o !== x).map((o) => [o, secretOf(x, o)])),
      context,
    });
    return lie?.member === x ? lie.value(honest) : honest;
  });
}

describe('proactive share refresh (maths)', () => {
  it('I-R2: a dealt polynomial has a zero constant term and degree k − 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 3 }), (k, extra) => {
        const xs = Array.from({ length: k + extra }, (_, i) => i + 1);
        const dealt = dealZeroPolynomial(xs, k, 24);
        const shares: Share[] = [...dealt].map(([x, y]) => ({ x, y }));
        assert.deepEqual(combineBytes(shares.slice(0, k)), new Uint8Array(24)); // any k points give δ(0) = 0
        assert.deepEqual(combineBytes(shares.slice(-k)), new Uint8Array(24));
      }),
      { numRuns: 50 },
    );
  });

  it('I-R2: refreshed shares reconstruct the same value; each old share with k − 1 new ones fails the tag', () => {
    for (const [n, k] of [
      [3, 2],
      [5, 3],
      [4, 4],
    ] as const) {
      const value = new Uint8Array(randomBytes(32));
      const old = splitSecret(identity, value, n, k);
      const xs = old.map((share) => share.x);
      const secretOf = pairSecrets(xs);
      const updates = runDealing(xs, k, old[0]!.y.length, secretOf);
      for (const subset of checkSubsets(xs, k))
        assert.ok(
          zeroCheckHolds(subsetContributions(subset, updates, secretOf)),
          `subset ${subset.join(',')}`,
        );
      const fresh = old.map((share) => ({ x: share.x, y: sumUpdates([share.y, updates.get(share.x)!]) }));
      assert.deepEqual(reconstructSecret(identity, fresh.slice(0, k), k), value);
      assert.deepEqual(reconstructSecret(identity, fresh.slice(-k), k), value);
      for (const stale of old) {
        const others = fresh.filter((share) => share.x !== stale.x).slice(0, k - 1);
        assert.throws(
          () => reconstructSecret(identity, [stale, ...others], k),
          (error: unknown) => error instanceof DsvError && error.code === 'DSV_INTEGRITY_FAILED',
          `old share x=${stale.x} mixed with new ones (n=${n}, k=${k})`,
        );
      }
    }
  });

  it('I-R2: a dealer with a non-zero constant is caught by an honest subset, even when it lies in its own checks', () => {
    const k = 2;
    const xs = [1, 2, 3];
    const secretOf = pairSecrets(xs);
    const offset = new Uint8Array(randomBytes(40));
    offset[0] = 1; // never all zero
    const cheater = 2;
    const updates = runDealing(xs, k, 40, secretOf, { dealer: cheater, offset });
    const verdicts = checkSubsets(xs, k).map((subset) => {
      // The cheater adjusts its own contribution by the constant it added, so any subset it is in passes.
      const lie = {
        member: cheater,
        value: (honest: Uint8Array) => sumUpdates([honest, offset]),
      };
      return { subset, holds: zeroCheckHolds(subsetContributions(subset, updates, secretOf, lie)) };
    });
    const honest = verdicts.filter(({ subset }) => !subset.includes(cheater));
    assert.ok(honest.length > 0 && honest.every(({ holds }) => !holds), JSON.stringify(verdicts));
    // The honest members are both in the failing subset: neither signs, so the refresh cannot commit.
    for (const x of xs.filter((x) => x !== cheater))
      assert.ok(
        verdicts.some(({ subset, holds }) => subset.includes(x) && !holds),
        `x=${x} would sign`,
      );
  });

  it('an honest dealing passes every subset; a non-zero constant fails every subset without a liar', () => {
    const xs = [1, 3, 4, 5];
    const k = 3;
    const secretOf = pairSecrets(xs);
    const good = runDealing(xs, k, 16, secretOf);
    assert.ok(checkSubsets(xs, k).every((s) => zeroCheckHolds(subsetContributions(s, good, secretOf))));
    const offset = new Uint8Array(16).fill(7);
    const bad = runDealing(xs, k, 16, secretOf, { dealer: 4, offset });
    assert.ok(checkSubsets(xs, k).every((s) => !zeroCheckHolds(subsetContributions(s, bad, secretOf))));
  });

  it('a dealing opens only with its pair secret and context; an altered one is refused', () => {
    const secret = new Uint8Array(randomBytes(32));
    const value = new Uint8Array(randomBytes(20));
    const context = dealingContext('session-a', 1, 2);
    const sealed = sealDealing(secret, context, value);
    assert.notDeepEqual(sealed.masked, value);
    assert.deepEqual(openDealing(secret, context, sealed.masked, sealed.mac), value);
    const refused = (error: unknown) => error instanceof DsvError && error.code === 'DSV_INTEGRITY_FAILED';
    assert.throws(
      () => openDealing(new Uint8Array(randomBytes(32)), context, sealed.masked, sealed.mac),
      refused,
    );
    assert.throws(
      () => openDealing(secret, dealingContext('session-b', 1, 2), sealed.masked, sealed.mac),
      refused,
    );
    assert.throws(
      () => openDealing(secret, dealingContext('session-a', 1, 3), sealed.masked, sealed.mac),
      refused,
    );
    const flipped = Uint8Array.from(sealed.masked);
    flipped[0]! ^= 1;
    assert.throws(() => openDealing(secret, context, flipped, sealed.mac), refused);
    const macContext = checkMacContext(subsetContext('s', [1, 2]), 1, 2);
    const mac = pairMac(secret, macContext, value);
    assert.ok(pairMacMatches(secret, macContext, value, mac));
    assert.ok(!pairMacMatches(secret, checkMacContext(subsetContext('s', [1, 2]), 2, 1), value, mac));
    assert.ok(!pairMacMatches(secret, macContext, value, 'short'));
  });

  it('checks every k-subset of a small cluster, and a capped, covering set of a large one', () => {
    assert.deepEqual(checkSubsets([3, 1, 2], 2), [
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
    assert.equal(checkSubsets([1, 2, 3, 4, 5, 6, 7, 8, 9], 4).length, 126);
    const large = Array.from({ length: 20 }, (_, i) => i + 1);
    const picked = checkSubsets(large, 5);
    assert.equal(picked.length, MAX_CHECK_SUBSETS);
    assert.equal(new Set(picked.map((s) => s.join(','))).size, picked.length);
    for (const x of large)
      assert.ok(
        picked.some((subset) => subset.includes(x)),
        `x=${x} in no subset`,
      );
    assert.ok(picked.every((subset) => subset.length === 5));
  });

  it('refuses k < 2 and too few participants', () => {
    assert.throws(() => dealZeroPolynomial([1], 1, 8), /k ≥ 2/);
    assert.throws(() => dealZeroPolynomial([1, 2], 3, 8), /participants/);
    assert.ok(!zeroCheckHolds([]));
  });
});
