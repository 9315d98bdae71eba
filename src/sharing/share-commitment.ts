// Hiding commitments to single shares (trust-boundaries design §6, I-C2): SHA-256 over the shard's identity,
// a 32-byte random blinding and the share. Without the blinding, a node holding one share and the log cannot
// test guesses of a low-entropy value against another holder's commitment.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretIdentity } from './payload-tag.ts';

export const BLINDING_BYTES = 32;
const DOMAIN = 'dsv/share-commitment/v1';

export const newBlinding = (): Uint8Array => new Uint8Array(randomBytes(BLINDING_BYTES));

export function shareCommitment(
  identity: SecretIdentity,
  writeId: string,
  index: number,
  blinding: Uint8Array,
  share: Uint8Array,
): string {
  const fields = JSON.stringify([
    DOMAIN,
    identity.tenant,
    identity.namespace,
    identity.name,
    identity.version,
    writeId,
    index,
  ]);
  return createHash('sha256').update(fields).update('\u0000').update(blinding).update(share).digest('base64');
}

export function commitmentMatches(
  expected: string,
  identity: SecretIdentity,
  writeId: string,
  index: number,
  blinding: Uint8Array,
  share: Uint8Array,
): boolean {
  if (blinding.length !== BLINDING_BYTES) return false;
  const actual = Buffer.from(shareCommitment(identity, writeId, index, blinding, share), 'base64');
  const wanted = Buffer.from(expected, 'base64');
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}
