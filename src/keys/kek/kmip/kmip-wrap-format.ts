// The kmip provider's wrapped-DEK format (version 1):
//   0x01 ‖ uidLength (1) ‖ key Unique Identifier (UTF-8) ‖ ivLength (1) ‖ IV ‖ GCM tag (16) ‖ ciphertext
// The KMIP server seals the DEK with AES-256-GCM under the named key; the AAD binds the format version and the
// key's Unique Identifier, so no byte of the blob can be changed without the server refusing it (I-K2).
import { DsvError } from '../../../errors/index.ts';
import { GCM_TAG_BYTES, type GcmSealed } from './kmip-client.ts';

export const KMIP_WRAP_VERSION = 0x01;
const AAD_PREFIX = Buffer.from('dsv-kek-kmip-dek-wrap\0v1\0', 'utf8');
/** A DEK is 32 bytes; anything much longer is not ours and is refused before it reaches the server. */
export const MAX_WRAPPED_PLAINTEXT = 256;
const MIN_IV = 12;
const MAX_IV = 64;

export interface DecodedWrap extends GcmSealed {
  readonly uid: string;
}

export function unwrapFailed(reason: string, details: Record<string, string> = {}): DsvError {
  return new DsvError('DSV_KEY_UNWRAP_FAILED', undefined, { details: { reason, ...details } });
}

/** The additional authenticated data of every Encrypt/Decrypt: the format and the key it names. */
export function wrapAad(uid: string): Buffer {
  return Buffer.concat([AAD_PREFIX, Buffer.from(uid, 'utf8')]);
}

export function encodeWrapped(uid: string, sealed: GcmSealed): Uint8Array {
  const id = Buffer.from(uid, 'utf8');
  if (id.length < 1 || id.length > 255) throw new RangeError('a KMIP Unique Identifier of 1..255 bytes');
  if (sealed.iv.length < MIN_IV || sealed.iv.length > MAX_IV) throw new RangeError('unexpected IV length');
  return Buffer.concat([
    Buffer.of(KMIP_WRAP_VERSION, id.length),
    id,
    Buffer.of(sealed.iv.length),
    sealed.iv,
    sealed.tag,
    sealed.ciphertext,
  ]);
}

/** Splits a wrapped DEK; rejects what cannot be one without asking the server. */
export function decodeWrapped(wrapped: Uint8Array): DecodedWrap {
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  if (bytes.length < 2) throw unwrapFailed('truncated');
  if (bytes[0] !== KMIP_WRAP_VERSION) throw unwrapFailed('unknown-version');
  const uidEnd = 2 + bytes[1]!;
  if (bytes[1] === 0 || bytes.length < uidEnd + 1) throw unwrapFailed('truncated');
  let uid: string;
  try {
    uid = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(2, uidEnd));
  } catch {
    throw unwrapFailed('foreign-key');
  }
  const ivLength = bytes[uidEnd]!;
  if (ivLength < MIN_IV || ivLength > MAX_IV) throw unwrapFailed('malformed');
  const ivEnd = uidEnd + 1 + ivLength;
  const tagEnd = ivEnd + GCM_TAG_BYTES;
  if (bytes.length <= tagEnd) throw unwrapFailed('truncated');
  if (bytes.length - tagEnd > MAX_WRAPPED_PLAINTEXT) throw unwrapFailed('too-long');
  return {
    uid,
    iv: bytes.subarray(uidEnd + 1, ivEnd),
    tag: bytes.subarray(ivEnd, tagEnd),
    ciphertext: bytes.subarray(tagEnd),
  };
}
