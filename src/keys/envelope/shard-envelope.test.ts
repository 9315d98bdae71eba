// Shard envelope: round trip, and every kind of tampering or moving refuses to open (I-K2, I-S2).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { ShardIdentity } from '../../shards/shard-sealer.ts';
import { encodeShardIdentity } from './shard-aad.ts';
import {
  ENVELOPE_HEADER_LENGTH,
  ENVELOPE_MIN_LENGTH,
  openEnvelope,
  peekKeyId,
  sealEnvelope,
} from './shard-envelope.ts';

const identity: ShardIdentity = {
  tenant: 'acme',
  namespace: 'payments',
  name: 'DB_PASSWORD',
  version: 3,
  writeId: 'w-0001',
  index: 2,
  node: 'node-b',
};
const key = randomBytes(32);
const keyId = 7;
const only = (id: number): Uint8Array | undefined => (id === keyId ? key : undefined);
const unreadable = { code: 'DSV_SHARD_UNREADABLE' };

function reasonOf(fn: () => unknown): string | number | undefined {
  try {
    fn();
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'DSV_SHARD_UNREADABLE');
    return (error as { details?: Record<string, string | number> }).details?.['reason'];
  }
  assert.fail('expected the envelope not to open');
}

void describe('shard envelope', () => {
  void it('I-K2: round trip, with the documented layout', () => {
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('share'));
    assert.equal(sealed.length, ENVELOPE_HEADER_LENGTH + 5 + 16);
    assert.equal(sealed[0], 0x01);
    assert.equal(sealed[1], 0x00);
    assert.equal(peekKeyId(sealed), keyId);
    assert.equal(Buffer.from(openEnvelope(only, identity, sealed)).toString(), 'share');
  });

  void it('I-K2: two seals of the same input differ (fresh nonce)', () => {
    const a = sealEnvelope(key, keyId, identity, Buffer.from('same'));
    const b = sealEnvelope(key, keyId, identity, Buffer.from('same'));
    assert.notDeepEqual(Buffer.from(a.subarray(6, 18)), Buffer.from(b.subarray(6, 18)));
  });

  void it('I-K2: a flipped bit anywhere in the envelope fails to open', () => {
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('abc'));
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const copy = Uint8Array.from(sealed);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      assert.throws(() => openEnvelope(only, identity, copy), unreadable, `bit ${bit}`);
    }
  });

  void it('I-K2: an envelope truncated at every length fails to open', () => {
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('abcdef'));
    for (let length = 0; length < sealed.length; length++) {
      assert.throws(
        () => openEnvelope(only, identity, sealed.subarray(0, length)),
        unreadable,
        `length ${length}`,
      );
    }
    assert.equal(
      reasonOf(() => openEnvelope(only, identity, sealed.subarray(0, ENVELOPE_MIN_LENGTH - 1))),
      'truncated',
    );
  });

  void it('I-K2: an extended envelope fails to open', () => {
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('abc'));
    assert.throws(() => openEnvelope(only, identity, Buffer.concat([sealed, Buffer.of(0)])), unreadable);
  });

  const moves: Array<[string, Partial<ShardIdentity>]> = [
    ['tenant', { tenant: 'other' }],
    ['namespace', { namespace: 'other' }],
    ['secret name', { name: 'DB_PASSWORD2' }],
    ['version', { version: 4 }],
    ['write id', { writeId: 'w-0002' }],
    ['shard index', { index: 1 }],
    ['node', { node: 'node-c' }],
    ['share generation', { generation: 1 }],
  ];
  for (const [field, change] of moves) {
    void it(`I-S2: a ciphertext moved to another ${field} fails to open`, () => {
      const sealed = sealEnvelope(key, keyId, identity, Buffer.from('abc'));
      assert.equal(
        reasonOf(() => openEnvelope(only, { ...identity, ...change }, sealed)),
        'authentication-failed',
      );
    });
  }

  void it('I-S2: generation 0 is the original encoding (stored envelopes open); a refreshed generation is bound', () => {
    assert.deepEqual(encodeShardIdentity({ ...identity, generation: 0 }), encodeShardIdentity(identity));
    const refreshed = { ...identity, generation: 2 };
    const sealed = sealEnvelope(key, keyId, refreshed, Buffer.from('abc'));
    assert.equal(Buffer.from(openEnvelope(only, refreshed, sealed)).toString(), 'abc');
    assert.throws(() => openEnvelope(only, { ...identity, generation: 3 }, sealed), unreadable);
  });

  void it('I-S2: field boundaries are unambiguous (moving characters between fields changes the AAD)', () => {
    const a = { ...identity, tenant: 'ab', namespace: 'c' };
    const b = { ...identity, tenant: 'a', namespace: 'bc' };
    assert.notDeepEqual(encodeShardIdentity(a), encodeShardIdentity(b));
    const sealed = sealEnvelope(key, keyId, a, Buffer.from('abc'));
    assert.throws(() => openEnvelope(only, b, sealed), unreadable);
  });

  void it('I-S2: identities with lone surrogates are refused rather than collapsed to U+FFFD', () => {
    assert.throws(() => sealEnvelope(key, keyId, { ...identity, name: '\uD800' }, Buffer.from('x')), {
      code: 'DSV_INPUT_INVALID',
    });
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('x'));
    assert.equal(
      reasonOf(() => openEnvelope(only, { ...identity, name: '\uDBFF' }, sealed)),
      'bad-identity',
    );
  });

  void it('I-K2: a key id pointing to another key, or to no key, fails to open', () => {
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('abc'));
    assert.equal(
      reasonOf(() => openEnvelope(() => randomBytes(32), identity, sealed)),
      'authentication-failed',
    );
    assert.equal(
      reasonOf(() => openEnvelope(() => undefined, identity, sealed)),
      'unknown-key',
    );
    // Re-labelling the header to another key id breaks the AAD even if that id maps to the right key.
    const relabelled = Uint8Array.from(sealed);
    relabelled[5] = 8;
    assert.throws(() => openEnvelope(() => key, identity, relabelled), unreadable);
  });

  void it('I-K2: unknown version and flags are refused, not ignored', () => {
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('abc'));
    const v2 = Uint8Array.from(sealed);
    v2[0] = 0x02;
    assert.equal(
      reasonOf(() => openEnvelope(only, identity, v2)),
      'unknown-version',
    );
    const flagged = Uint8Array.from(sealed);
    flagged[1] = 0x80;
    assert.equal(
      reasonOf(() => openEnvelope(only, identity, flagged)),
      'unknown-flags',
    );
  });

  void it('I-K1: the error carries no key, plaintext or identity bytes', () => {
    const sealed = sealEnvelope(key, keyId, identity, Buffer.from('topsecret'));
    try {
      openEnvelope(() => key, { ...identity, node: 'x' }, sealed);
      assert.fail('should not open');
    } catch (error) {
      const text =
        JSON.stringify(error) + String(error) + JSON.stringify((error as { details?: unknown }).details);
      assert.ok(!text.includes('topsecret'));
      assert.ok(!text.includes(key.toString('hex')));
      assert.ok(!text.includes(key.toString('base64')));
    }
  });

  const text = fc.string({ unit: 'grapheme', maxLength: 12 });
  const identities = fc.record({
    tenant: text,
    namespace: text,
    name: text,
    version: fc.nat(),
    writeId: text,
    index: fc.nat({ max: 255 }),
    node: text,
  });

  void it('I-K2: round trip for any identity, key id and plaintext (property)', () => {
    fc.assert(
      fc.property(
        identities,
        fc.nat({ max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 300 }),
        (id, kid, plain) => {
          const k = randomBytes(32);
          const sealed = sealEnvelope(k, kid, id, plain);
          assert.equal(peekKeyId(sealed), kid);
          const opened = openEnvelope((x) => (x === kid ? k : undefined), id, sealed);
          assert.deepEqual(Buffer.from(opened), Buffer.from(plain));
        },
      ),
    );
  });

  void it('I-S2: an envelope never opens under a different identity (property)', () => {
    fc.assert(
      fc.property(identities, identities, fc.uint8Array({ maxLength: 40 }), (a, b, plain) => {
        fc.pre(!Buffer.from(encodeShardIdentity(a)).equals(encodeShardIdentity(b)));
        const sealed = sealEnvelope(key, keyId, a, plain);
        assert.throws(() => openEnvelope(only, b, sealed), unreadable);
      }),
    );
  });
});

void describe('shard envelope known answer (docs/envelope.md)', () => {
  void it('I-S2: opens the worked example of the documentation byte for byte', () => {
    const docKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const docIdentity: ShardIdentity = {
      tenant: 'acme',
      namespace: 'prod',
      name: 'DB_PASSWORD',
      version: 3,
      writeId: 'w1',
      index: 2,
      node: 'node-b',
    };
    const envelope = Buffer.from(
      '010000000007a0a1a2a3a4a5a6a7a8a9aaab95701d5f20b5b31cb2e403b717a0d0c38f58eb1f7b',
      'hex',
    );
    assert.equal(
      Buffer.from(encodeShardIdentity(docIdentity)).toString('hex'),
      '0000000461636d650000000470726f640000000b44425f50415353574f52440000000000000003000000027731' +
        '00000002000000066e6f64652d62',
    );
    assert.equal(peekKeyId(envelope), 7);
    const opened = openEnvelope((id) => (id === 7 ? docKey : undefined), docIdentity, envelope);
    assert.equal(Buffer.from(opened).toString(), 'share');
  });
});
