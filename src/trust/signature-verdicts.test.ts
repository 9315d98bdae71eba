// The verdict memo: a signature made here verifies (and is remembered as valid), and nothing else is
// vouched for by it — another message, another key or a flipped bit still fails.
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { signEd25519, verifyEd25519 } from './signature-verdicts.ts';

describe('Ed25519 verdicts', () => {
  const signer = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const message = Buffer.from('dsv/test/v1 a message');

  it('a signature made here is a real Ed25519 signature and verifies through the memo', () => {
    const signature = signEd25519(signer.privateKey, message);
    assert.equal(verify(null, message, signer.publicKey, signature), true);
    assert.equal(verifyEd25519(signer.publicKey, message, signature), true);
  });

  it('the remembered verdict covers exactly its key, message and signature', () => {
    const signature = signEd25519(signer.privateKey, message);
    assert.equal(verifyEd25519(other.publicKey, message, signature), false);
    assert.equal(verifyEd25519(signer.publicKey, Buffer.from('dsv/test/v1 another'), signature), false);
    const flipped = Buffer.from(signature);
    flipped[5] = (flipped[5] ?? 0) ^ 1;
    assert.equal(verifyEd25519(signer.publicKey, message, flipped), false);
    // the forged inputs' false verdicts are remembered too, and do not disturb the true one
    assert.equal(verifyEd25519(signer.publicKey, message, flipped), false);
    assert.equal(verifyEd25519(signer.publicKey, message, signature), true);
  });
});
