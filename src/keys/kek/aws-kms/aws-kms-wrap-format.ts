// The aws-kms provider's wrapped-DEK format: 0x01 ‖ KMS CiphertextBlob, and the encryption context it binds.
import { DsvError } from '../../../errors/index.ts';

export const AWS_KMS_WRAP_VERSION = 0x01;
/** KMS refuses CiphertextBlob outside 1..6144 bytes; checking here keeps junk from ever reaching the network. */
export const KMS_CIPHERTEXT_MAX_LENGTH = 6144;

/**
 * Sent with every Encrypt and Decrypt: KMS binds it to the ciphertext as additional authenticated data, so a
 * blob this key produced for any other purpose (or another DSV format version) never unwraps as a DEK (I-K2).
 * Changing it makes every existing wrapped DEK unreadable: bump AWS_KMS_WRAP_VERSION and keep the old one.
 */
export const DEK_WRAP_CONTEXT: Readonly<Record<string, string>> = Object.freeze({
  purpose: 'dsv-dek-wrap',
  version: '1',
});

export function unwrapFailed(reason: string, kmsError?: string): DsvError {
  const details: Record<string, string> = { reason };
  if (kmsError !== undefined) details.kmsError = kmsError;
  return new DsvError('DSV_KEY_UNWRAP_FAILED', undefined, { details });
}

export function encodeWrapped(ciphertextBlob: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.of(AWS_KMS_WRAP_VERSION), ciphertextBlob]);
}

/** The KMS ciphertext inside a wrapped DEK; rejects what cannot be one without asking KMS. */
export function decodeWrapped(wrapped: Uint8Array): Uint8Array {
  if (wrapped.length < 2) throw unwrapFailed('truncated');
  if (wrapped[0] !== AWS_KMS_WRAP_VERSION) throw unwrapFailed('unknown-version');
  if (wrapped.length - 1 > KMS_CIPHERTEXT_MAX_LENGTH) throw unwrapFailed('too-long');
  return wrapped.subarray(1);
}
