// The local provider's wrapped-DEK format: 0x01 ‖ 12-byte nonce ‖ ciphertext ‖ 16-byte tag, AAD a fixed label.
import { randomBytes } from 'node:crypto';
import { DsvError } from '../../../errors/index.ts';
import {
  AES_GCM_NONCE_LENGTH,
  AES_GCM_TAG_LENGTH,
  aesGcmDecrypt,
  aesGcmEncrypt,
} from '../../envelope/aes-gcm.ts';

const FORMAT_VERSION = 0x01;
/** Binds the format version and purpose, so bytes sealed for any other use never unwrap as a DEK (I-K2). */
const AAD = new TextEncoder().encode('dsv/local-kek/wrapped-dek/v1');
const MIN_LENGTH = 1 + AES_GCM_NONCE_LENGTH + AES_GCM_TAG_LENGTH;

function unwrapFailed(reason: string): DsvError {
  return new DsvError('DSV_KEY_UNWRAP_FAILED', undefined, { details: { reason } });
}

export function wrapWithKey(wrapKey: Uint8Array, dek: Uint8Array): Uint8Array {
  const nonce = randomBytes(AES_GCM_NONCE_LENGTH);
  const { ciphertext, tag } = aesGcmEncrypt(wrapKey, nonce, dek, AAD);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), nonce, ciphertext, tag]);
}

export function unwrapWithKey(wrapKey: Uint8Array, wrapped: Uint8Array): Uint8Array {
  if (wrapped.length < MIN_LENGTH) throw unwrapFailed('truncated');
  if (wrapped[0] !== FORMAT_VERSION) throw unwrapFailed('unknown-version');
  const nonce = wrapped.subarray(1, 1 + AES_GCM_NONCE_LENGTH);
  const tagAt = wrapped.length - AES_GCM_TAG_LENGTH;
  const dek = aesGcmDecrypt(
    wrapKey,
    nonce,
    wrapped.subarray(1 + AES_GCM_NONCE_LENGTH, tagAt),
    wrapped.subarray(tagAt),
    AAD,
  );
  if (dek === undefined) throw unwrapFailed('authentication-failed');
  return dek;
}
