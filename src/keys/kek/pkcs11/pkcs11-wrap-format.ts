// The pkcs11 provider's wrapped-DEK format: 0x01 ‖ mechanism 0x01 ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
import { DsvError } from '../../../errors/index.ts';

export const FORMAT_VERSION = 0x01;
/** CKM_AES_GCM with a 96-bit IV and a 128-bit tag; a new id if the mechanism or its parameters ever change. */
export const MECHANISM_AES_GCM = 0x01;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_BYTES = 2;
export const MIN_WRAPPED_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES;

const AAD_LABEL = new TextEncoder().encode('dsv/pkcs11-kek/wrapped-dek/v1');

export interface WrappedParts {
  readonly iv: Buffer;
  /** Ciphertext followed by the tag, as CKM_AES_GCM returns and takes it. */
  readonly sealed: Buffer;
}

export function unwrapFailed(reason: string): DsvError {
  return new DsvError('DSV_KEY_UNWRAP_FAILED', undefined, { details: { reason } });
}

/** The GCM AAD: a purpose label plus the header, so the version and mechanism bytes are authenticated (I-K2). */
export function wrapAad(): Buffer {
  return Buffer.concat([AAD_LABEL, Buffer.of(FORMAT_VERSION, MECHANISM_AES_GCM)]);
}

export function encodeWrapped(iv: Uint8Array, sealed: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.of(FORMAT_VERSION, MECHANISM_AES_GCM), iv, sealed]);
}

/** Splits a wrapped DEK, refusing anything this version cannot have produced before the HSM sees it. */
export function decodeWrapped(wrapped: Uint8Array): WrappedParts {
  if (wrapped.length < MIN_WRAPPED_BYTES) throw unwrapFailed('truncated');
  if (wrapped[0] !== FORMAT_VERSION) throw unwrapFailed('unknown-version');
  if (wrapped[1] !== MECHANISM_AES_GCM) throw unwrapFailed('unknown-mechanism');
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  return {
    iv: bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES),
    sealed: bytes.subarray(HEADER_BYTES + IV_BYTES),
  };
}
