// The shard envelope codec (DESIGN §8): version ‖ flags ‖ key id ‖ nonce ‖ ciphertext ‖ tag, AAD = header ‖
// identity. Byte layout: docs/envelope.md.
import { randomBytes } from 'node:crypto';
import { DsvError } from '../../errors/index.ts';
import type { ShardIdentity } from '../../shards/index.ts';
import {
  AES_GCM_NONCE_LENGTH,
  AES_GCM_TAG_LENGTH,
  aesGcmDecrypt,
  aesGcmEncrypt,
  aesKeyLength,
  type AesKey,
} from './aes-gcm.ts';
import { encodeShardIdentity } from './shard-aad.ts';

export const ENVELOPE_VERSION = 0x01;
/** No flag is defined in version 1; a set bit is refused rather than ignored. */
export const ENVELOPE_FLAGS_NONE = 0x00;
export const ENVELOPE_HEADER_LENGTH = 1 + 1 + 4 + AES_GCM_NONCE_LENGTH; // 18
export const ENVELOPE_MIN_LENGTH = ENVELOPE_HEADER_LENGTH + AES_GCM_TAG_LENGTH; // 34: empty plaintext
export const DEK_LENGTH = 32;

/** Why an envelope did not open; a safe detail for logs and tests, never key or plaintext bytes. */
export type EnvelopeFailure =
  | 'truncated'
  | 'unknown-version'
  | 'unknown-flags'
  | 'unknown-key'
  | 'bad-identity'
  | 'authentication-failed';

function unreadable(reason: EnvelopeFailure, cause?: unknown): DsvError {
  return new DsvError('DSV_SHARD_UNREADABLE', undefined, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

function checkKey(key: AesKey): void {
  if (aesKeyLength(key) !== DEK_LENGTH)
    throw new DsvError('DSV_INTERNAL', `A data key must be ${DEK_LENGTH} bytes`);
}

function checkKeyId(keyId: number): void {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 0xffff_ffff) {
    throw new DsvError('DSV_INTERNAL', 'A key id must be an integer in 0..2^32-1');
  }
}

function aadFor(header: Uint8Array, identity: ShardIdentity): Uint8Array {
  const id = encodeShardIdentity(identity);
  const aad = new Uint8Array(header.length + id.length);
  aad.set(header, 0);
  aad.set(id, header.length);
  return aad;
}

/** Seals `plaintext` for exactly this shard identity under a 32-byte DEK; a fresh random nonce per call. */
export function sealEnvelope(
  key: AesKey,
  keyId: number,
  identity: ShardIdentity,
  plaintext: Uint8Array,
): Uint8Array {
  checkKey(key);
  checkKeyId(keyId);
  const header = new Uint8Array(ENVELOPE_HEADER_LENGTH);
  const view = new DataView(header.buffer);
  header[0] = ENVELOPE_VERSION;
  header[1] = ENVELOPE_FLAGS_NONE;
  view.setUint32(2, keyId);
  // Random 96-bit nonces are safe only for < 2^32 encryptions per key: the keyring enforces that (I-K3).
  const nonce = randomBytes(AES_GCM_NONCE_LENGTH);
  header.set(nonce, 6);
  const { ciphertext, tag } = aesGcmEncrypt(key, nonce, plaintext, aadFor(header, identity));
  const out = new Uint8Array(header.length + ciphertext.length + tag.length);
  out.set(header, 0);
  out.set(ciphertext, header.length);
  out.set(tag, header.length + ciphertext.length);
  return out;
}

/** Reads the key id from a version-1 header without decrypting (rewrap, key lookup). */
export function peekKeyId(envelope: Uint8Array): number {
  if (envelope.length < ENVELOPE_MIN_LENGTH) throw unreadable('truncated');
  if (envelope[0] !== ENVELOPE_VERSION) throw unreadable('unknown-version');
  if (envelope[1] !== ENVELOPE_FLAGS_NONE) throw unreadable('unknown-flags');
  return new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength).getUint32(2);
}

/**
 * Opens an envelope sealed for `identity`. Any failure — short input, unknown version or flags, unknown key,
 * a different identity, a flipped bit — is DSV_SHARD_UNREADABLE; unverified bytes never escape (I-K2, I-S2).
 */
export function openEnvelope(
  lookupKey: (keyId: number) => AesKey | undefined,
  identity: ShardIdentity,
  envelope: Uint8Array,
): Uint8Array {
  const keyId = peekKeyId(envelope);
  const key = lookupKey(keyId);
  if (key === undefined || aesKeyLength(key) !== DEK_LENGTH) throw unreadable('unknown-key');
  const header = envelope.subarray(0, ENVELOPE_HEADER_LENGTH);
  let aad: Uint8Array;
  try {
    aad = aadFor(header, identity);
  } catch (error) {
    throw unreadable('bad-identity', error);
  }
  const nonce = envelope.subarray(6, ENVELOPE_HEADER_LENGTH);
  const tagAt = envelope.length - AES_GCM_TAG_LENGTH;
  const plaintext = aesGcmDecrypt(
    key,
    nonce,
    envelope.subarray(ENVELOPE_HEADER_LENGTH, tagAt),
    envelope.subarray(tagAt),
    aad,
  );
  if (plaintext === undefined) throw unreadable('authentication-failed');
  return plaintext;
}
