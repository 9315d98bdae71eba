// From the local KEK to its two working keys (wrap, verifier) via HKDF, and the verifier value itself.
import { createHmac, hkdfSync } from 'node:crypto';

const WRAP_INFO = 'dsv/local-kek/wrap/v1';
const VERIFIER_INFO = 'dsv/local-kek/verifier/v1';
const VERIFIER_LABEL = 'dsv/local-kek/verifier-label/v1';

/** Independent subkeys, so the stored verifier says nothing about the key that wraps DEKs (I-K1). */
export function deriveWrapKey(kek: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, new Uint8Array(0), WRAP_INFO, 32));
}

/** HMAC of a fixed label under an HKDF subkey: checks a passphrase without storing the KEK or a hash of it. */
export function computeVerifier(kek: Uint8Array): Buffer {
  const key = Buffer.from(hkdfSync('sha256', kek, new Uint8Array(0), VERIFIER_INFO, 32));
  try {
    return createHmac('sha256', key).update(VERIFIER_LABEL).digest();
  } finally {
    key.fill(0);
  }
}
