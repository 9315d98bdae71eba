// Secret-preserving share recovery and hiding share commitments (trust-boundaries design §6–§7).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  combineContributions,
  commitmentMatches,
  newBlinding,
  recoveryContribution,
  shareCommitment,
  splitBytes,
} from './index.ts';

/** Every pair of helpers shares one secret (in the cluster: their X25519 ECDH). */
function pairSecrets(helpers: readonly number[]): Map<string, Uint8Array> {
  const secrets = new Map<string, Uint8Array>();
  for (const a of helpers)
    for (const b of helpers) if (a < b) secrets.set(`${a}-${b}`, new Uint8Array(randomBytes(32)));
  return secrets;
}
const secretOf = (secrets: Map<string, Uint8Array>, a: number, b: number): Uint8Array =>
  secrets.get(a < b ? `${a}-${b}` : `${b}-${a}`) ?? new Uint8Array();

describe('share recovery', () => {
  it('I-S6: k masked contributions rebuild exactly the missing share, for any k of n helpers', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 100 }),
        (secret, k, extra, pick) => {
          const n = k + 1 + extra;
          const shares = splitBytes(secret, n, k);
          const target = pick % n;
          const helpers = shares
            .map((share) => share.x)
            .filter((x) => x !== target + 1)
            .slice(0, k);
          const secrets = pairSecrets(helpers);
          const contributions = helpers.map((helper) =>
            recoveryContribution({
              target: target + 1,
              helper,
              helpers,
              share: shares[helper - 1]?.y ?? new Uint8Array(),
              pairSecrets: helpers
                .filter((other) => other !== helper)
                .map((other) => secretOf(secrets, helper, other)),
              context: 'session-1',
            }),
          );
          assert.deepEqual(combineContributions(contributions), shares[target]?.y);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('I-S6: no single contribution is its helper’s share or weighted share (the masks hide it)', () => {
    const shares = splitBytes(new Uint8Array(32).fill(7), 3, 2);
    const helpers = [2, 3];
    const secrets = pairSecrets(helpers);
    const contribution = recoveryContribution({
      target: 1,
      helper: 2,
      helpers,
      share: shares[1]?.y ?? new Uint8Array(),
      pairSecrets: [secretOf(secrets, 2, 3)],
      context: 'session-1',
    });
    assert.notDeepEqual(contribution, shares[1]?.y);
    const again = recoveryContribution({
      target: 1,
      helper: 2,
      helpers,
      share: shares[1]?.y ?? new Uint8Array(),
      pairSecrets: [secretOf(secrets, 2, 3)],
      context: 'session-2',
    });
    assert.notDeepEqual(contribution, again, 'a fresh session draws fresh masks');
    assert.throws(() =>
      recoveryContribution({
        target: 2,
        helper: 2,
        helpers: [2, 3],
        share: new Uint8Array(1),
        pairSecrets: [],
        context: '',
      }),
    );
  });

  it('I-C2: a share opens its commitment only with its own blinding, identity, write and index', () => {
    const identity = { tenant: 't', namespace: 'n', name: 'k', version: 1 };
    const share = new Uint8Array(randomBytes(20));
    const blinding = newBlinding();
    const commitment = shareCommitment(identity, 'w1', 0, blinding, share);
    assert.ok(commitmentMatches(commitment, identity, 'w1', 0, blinding, share));
    assert.ok(!commitmentMatches(commitment, identity, 'w1', 0, newBlinding(), share));
    assert.ok(!commitmentMatches(commitment, identity, 'w2', 0, blinding, share));
    assert.ok(!commitmentMatches(commitment, identity, 'w1', 1, blinding, share));
    assert.ok(!commitmentMatches(commitment, { ...identity, version: 2 }, 'w1', 0, blinding, share));
    const forged = share.slice();
    forged[0] = (forged[0] ?? 0) ^ 1;
    assert.ok(!commitmentMatches(commitment, identity, 'w1', 0, blinding, forged));
    assert.notEqual(shareCommitment(identity, 'w1', 0, newBlinding(), share), commitment, 'hiding: blinded');
  });
});
