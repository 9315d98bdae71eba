// Tagged secret sharing: round trips, the payload format, and I-C1 (never a wrong value) under tampering.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { reconstructSecret, splitSecret } from './secret-sharing.ts';
import { PAYLOAD_DOMAIN, TAG_LENGTH, type SecretIdentity } from './payload-tag.ts';
import { splitBytes, type Share } from './shamir.ts';
import { MAX_SUBSETS } from './share-subsets.ts';

const identity: SecretIdentity = { tenant: 'acme', namespace: 'payments', name: 'DB_PASSWORD', version: 3 };
const value = new TextEncoder().encode('correct horse battery staple');

const identities = fc.record({
  tenant: fc.string({ unit: 'grapheme', maxLength: 12 }),
  namespace: fc.string({ maxLength: 12 }),
  name: fc.string({ unit: 'grapheme', maxLength: 12 }),
  version: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});
/** (n, k) with 2 ≤ k ≤ n ≤ 7. */
const thresholds = fc
  .integer({ min: 2, max: 7 })
  .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 2, max: n })));

/** (n, k, k distinct share positions in random order). */
const pickedShares = thresholds.chain(([n, k]) =>
  fc.tuple(
    fc.constant(n),
    fc.constant(k),
    fc.shuffledSubarray(
      Array.from({ length: n }, (_, i) => i),
      { minLength: k, maxLength: k },
    ),
  ),
);

const copy = (share: Share): Share => ({ x: share.x, y: Uint8Array.from(share.y) });

void describe('splitSecret / reconstructSecret', () => {
  void it('round-trips through any k of the n shares, in any order', () => {
    fc.assert(
      fc.property(identities, fc.uint8Array({ maxLength: 64 }), pickedShares, (id, v, [n, k, picked]) => {
        const shares = splitSecret(id, v, n, k);
        const order = picked.map((i) => shares[i]!);
        assert.deepEqual(reconstructSecret(id, order, k), v);
      }),
    );
  });

  void it('shares value ‖ first 16 bytes of SHA-256 over the length-prefixed identity and value', () => {
    const u32 = (length: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(length);
      return b;
    };
    const field = (bytes: Uint8Array): Buffer => Buffer.concat([u32(bytes.length), bytes]);
    const version = Buffer.alloc(8);
    version.writeBigUInt64BE(3n);
    const encoding = Buffer.concat([
      field(Buffer.from(PAYLOAD_DOMAIN)),
      field(Buffer.from('acme')),
      field(Buffer.from('payments')),
      field(Buffer.from('DB_PASSWORD')),
      version,
      field(value),
    ]);
    const tag = createHash('sha256').update(encoding).digest().subarray(0, TAG_LENGTH);
    const [only] = splitSecret(identity, value, 1, 1); // k = 1: the single share is the payload itself
    assert.deepEqual(Buffer.from(only!.y), Buffer.concat([value, tag]));
    assert.equal(PAYLOAD_DOMAIN, 'dsv/shamir-payload/v1');
  });

  void it('I-C1: a mismatched identity (any field) fails with DSV_INTEGRITY_FAILED', () => {
    const shares = splitSecret(identity, value, 3, 2);
    const others: SecretIdentity[] = [
      { ...identity, tenant: 'acme2' },
      { ...identity, namespace: 'payment' },
      { ...identity, name: 'DB_PASSWORD ' },
      { ...identity, version: 4 },
      // Field boundaries are part of the encoding: moving a character across them changes the tag.
      { ...identity, tenant: 'acmep', namespace: 'ayments' },
    ];
    for (const other of others) {
      assert.throws(() => reconstructSecret(other, shares, 2), { code: 'DSV_INTEGRITY_FAILED' });
    }
    fc.assert(
      fc.property(identities, identities, fc.uint8Array({ maxLength: 16 }), (a, b, v) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        assert.throws(() => reconstructSecret(b, splitSecret(a, v, 3, 2), 2), {
          code: 'DSV_INTEGRITY_FAILED',
        });
      }),
    );
  });

  void it('I-C1: a share with any flipped bit never yields a wrong value', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 32 }),
        thresholds,
        fc.nat(),
        fc.nat(),
        (v, [n, k], which, bit) => {
          const shares = splitSecret(identity, v, n, k).map(copy);
          const victim = shares[which % n]!;
          const position = bit % (victim.y.length * 8);
          victim.y[position >> 3]! ^= 1 << (position & 7);
          // With exactly k shares including the tampered one, nothing verifies.
          const withVictim = [victim, ...shares.filter((s) => s !== victim).slice(0, k - 1)];
          assert.throws(() => reconstructSecret(identity, withVictim, k), { code: 'DSV_INTEGRITY_FAILED' });
          // With all n shares, either another subset verifies (n > k) and gives the right value, or it fails.
          if (n > k) assert.deepEqual(reconstructSecret(identity, shares, k), v);
          else assert.throws(() => reconstructSecret(identity, shares, k), { code: 'DSV_INTEGRITY_FAILED' });
        },
      ),
    );
  });

  void it('I-C1: wrong shares mixed before the right ones still reconstruct the right value', () => {
    const wrongShare = fc.record({
      x: fc.integer({ min: 1, max: 255 }),
      y: fc.uint8Array({ minLength: 0, maxLength: 60 }),
    });
    fc.assert(
      fc.property(thresholds, fc.array(wrongShare, { maxLength: 6 }), fc.nat(), ([n, k], wrong, cut) => {
        const shares = splitSecret(identity, value, n, k);
        const right = shares.slice(0, k);
        const mixed = [
          ...wrong.slice(0, cut % (wrong.length + 1)),
          ...right,
          ...wrong.slice(cut % (wrong.length + 1)),
        ];
        assert.deepEqual(reconstructSecret(identity, mixed, k), value);
      }),
      { numRuns: 200 },
    );
  });

  void it('a forged share with a right x and the right length is outvoted by the other subsets', () => {
    const shares = splitSecret(identity, value, 5, 3);
    const forged: Share = { x: shares[0]!.x, y: new Uint8Array(shares[0]!.y.length).fill(0x42) };
    assert.deepEqual(reconstructSecret(identity, [forged, ...shares.slice(1)], 3), value);
  });

  void it('fails with DSV_INSUFFICIENT_SHARDS below k distinct shares (duplicates count once)', () => {
    const shares = splitSecret(identity, value, 5, 3);
    const cases: Share[][] = [
      [],
      shares.slice(0, 2),
      [shares[0]!, shares[0]!, copy(shares[0]!), shares[1]!],
      [shares[0]!, { x: shares[0]!.x, y: new Uint8Array(shares[0]!.y.length) }, shares[1]!],
      [shares[0]!, shares[1]!, { x: 0, y: shares[2]!.y }, { x: 300, y: shares[2]!.y }],
    ];
    for (const given of cases) {
      assert.throws(() => reconstructSecret(identity, given, 3), { code: 'DSV_INSUFFICIENT_SHARDS' });
    }
  });

  void it('treats malformed shares and shares of other lengths as unusable, not as a crash', () => {
    const shares = splitSecret(identity, value, 4, 2);
    const noise = [
      { x: 1, y: 'not bytes' } as unknown as Share,
      null as unknown as Share,
      { x: 2, y: new Uint8Array(3) },
      { x: 3, y: new Uint8Array(0) },
    ];
    assert.deepEqual(reconstructSecret(identity, [...noise, shares[2]!, shares[3]!], 2), value);
  });

  void it('needs the k used at write time: a smaller k fails, a larger one still interpolates', () => {
    const shares = splitSecret(identity, value, 5, 3);
    assert.throws(() => reconstructSecret(identity, shares, 2), { code: 'DSV_INTEGRITY_FAILED' });
    assert.deepEqual(reconstructSecret(identity, shares, 4), value);
  });

  void it(`tries at most ${MAX_SUBSETS} subsets when none verifies`, () => {
    const garbage = splitBytes(new Uint8Array(40), 40, 2); // 40 distinct x, C(40, 3) = 9880 subsets
    assert.throws(() => reconstructSecret(identity, garbage, 3), {
      code: 'DSV_INTEGRITY_FAILED',
      details: { subsetsTried: MAX_SUBSETS },
    });
  });

  void it('rejects a bad threshold or identity with DSV_INPUT_INVALID', () => {
    const shares = splitSecret(identity, value, 3, 2);
    assert.throws(() => reconstructSecret(identity, shares, 0), { code: 'DSV_INPUT_INVALID' });
    assert.throws(() => reconstructSecret(identity, shares, 256), { code: 'DSV_INPUT_INVALID' });
    assert.throws(() => reconstructSecret(identity, 'shares' as unknown as Share[], 2), {
      code: 'DSV_INPUT_INVALID',
    });
    const bad: SecretIdentity[] = [
      { ...identity, version: -1 },
      { ...identity, version: 1.5 },
      { ...identity, name: 'lone \uD800 surrogate' }, // would collide with U+FFFD once UTF-8 encoded
    ];
    for (const id of bad) {
      assert.throws(() => splitSecret(id, value, 3, 2), { code: 'DSV_INPUT_INVALID' });
      assert.throws(() => reconstructSecret(id, shares, 2), { code: 'DSV_INPUT_INVALID' });
    }
    assert.throws(() => splitSecret(identity, value, 3, 1), { code: 'DSV_INPUT_INVALID' });
  });

  void it('never puts error details that carry secret material into the error', () => {
    const shares = splitSecret(identity, value, 3, 2).map(copy);
    shares[0]!.y[0]! ^= 1;
    try {
      reconstructSecret(identity, shares.slice(0, 2), 2);
      assert.fail('expected an integrity failure');
    } catch (error) {
      const text = JSON.stringify(error) + String(error);
      assert.ok(!text.includes('correct horse'));
    }
  });
});
