// The AES-GCM primitive against all Wycheproof AES-GCM vectors: valid ones round-trip, invalid ones are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { aesGcmDecrypt, aesGcmEncrypt } from './aes-gcm.ts';
import { equivalentShortIv } from './gcm-long-iv.ts';

interface Vector {
  tcId: number;
  comment: string;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface Group {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: Vector[];
}

// A copy of ../shared/vectors/wycheproof kept in the project (test/fixtures/wycheproof/README.md).
const file = new URL('../../../test/fixtures/wycheproof/aes_gcm_test.json', import.meta.url);
const suite = JSON.parse(readFileSync(file, 'utf8')) as { numberOfTests: number; testGroups: Group[] };
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

void describe('AES-GCM primitive (Wycheproof)', () => {
  const vectors = suite.testGroups.flatMap((g) => g.tests.map((t) => ({ group: g, t })));

  void it('loads every vector of the file', () => {
    assert.equal(vectors.length, suite.numberOfTests);
    assert.equal(vectors.length, 316);
  });

  for (const { group, t } of vectors) {
    const label = `I-K2: Wycheproof tc ${t.tcId} (${group.keySize}-bit key, ${group.ivSize}-bit IV, ${t.flags.join(',')}) is ${t.result}`;
    void it(label, () => {
      const key = hex(t.key);
      const iv = hex(t.iv);
      const aad = hex(t.aad);
      const tagLength = group.tagSize / 8;
      if (t.result === 'valid') {
        const sealed = aesGcmEncrypt(key, iv, hex(t.msg), aad, tagLength);
        assert.equal(Buffer.from(sealed.ciphertext).toString('hex'), t.ct);
        assert.equal(Buffer.from(sealed.tag).toString('hex'), t.tag);
        const opened = aesGcmDecrypt(key, iv, hex(t.ct), hex(t.tag), aad, tagLength);
        assert.ok(opened !== undefined);
        assert.equal(Buffer.from(opened).toString('hex'), t.msg);
      } else {
        // Invalid: either the parameters are refused (empty IV) or the tag does not verify.
        let opened: Uint8Array | undefined;
        try {
          opened = aesGcmDecrypt(key, iv, hex(t.ct), hex(t.tag), aad, tagLength);
        } catch {
          opened = undefined;
        }
        assert.equal(opened, undefined);
        if (iv.length === 0) assert.throws(() => aesGcmEncrypt(key, iv, hex(t.msg), aad, tagLength));
      }
    });
  }
});

void describe('AES-GCM primitive parameters', () => {
  const key = Buffer.alloc(32, 7);
  const iv = Buffer.alloc(12, 1);

  void it('I-K2: refuses keys that are not 16, 24 or 32 bytes', () => {
    assert.throws(() => aesGcmEncrypt(Buffer.alloc(31), iv, Buffer.alloc(1), Buffer.alloc(0)), {
      code: 'DSV_INTERNAL',
    });
  });

  void it('I-K2: refuses tags shorter than 12 bytes, and a tag of another length than agreed never verifies', () => {
    assert.throws(() => aesGcmEncrypt(key, iv, Buffer.alloc(1), Buffer.alloc(0), 8), {
      code: 'DSV_INTERNAL',
    });
    const { ciphertext, tag } = aesGcmEncrypt(key, iv, Buffer.from('x'), Buffer.alloc(0));
    assert.equal(aesGcmDecrypt(key, iv, ciphertext, tag.subarray(0, 12), Buffer.alloc(0)), undefined);
    // GCM tags truncate by design, so the length must be fixed by the format, never read from the input.
    assert.ok(aesGcmDecrypt(key, iv, ciphertext, tag.subarray(0, 12), Buffer.alloc(0), 12) !== undefined);
  });
});

void describe('AES-GCM long-IV reduction', () => {
  void it('I-K2: the equivalent 16-byte IV gives the same ciphertext and tag as the IV itself (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.integer({ min: 1, max: 128 }).filter((n) => n !== 12),
        fc.uint8Array({ minLength: 0, maxLength: 70 }),
        fc.uint8Array({ minLength: 0, maxLength: 20 }),
        (keyLength, ivLength, plaintext, aad) => {
          const key = randomBytes(keyLength);
          const iv = randomBytes(ivLength);
          const direct = aesGcmEncrypt(key, iv, plaintext, aad);
          const viaShort = aesGcmEncrypt(key, equivalentShortIv(key, iv), plaintext, aad);
          assert.deepEqual(Buffer.from(viaShort.ciphertext), Buffer.from(direct.ciphertext));
          assert.deepEqual(Buffer.from(viaShort.tag), Buffer.from(direct.tag));
        },
      ),
      { numRuns: 60 },
    );
  });
});
