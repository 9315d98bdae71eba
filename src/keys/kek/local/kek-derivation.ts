// From the local KEK to its two working keys (wrap, verifier) via HKDF, and the verifier value itself.
import { createHash, createHmac, hkdfSync } from 'node:crypto';

const WRAP_INFO = 'dsv/local-kek/wrap/v1';
const VERIFIER_INFO = 'dsv/local-kek/verifier/v1';
const VERIFIER_LABEL = 'dsv/local-kek/verifier-label/v1';
const REF_LABEL = 'dsv/local-kek/ref/v1';

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

/**
 * The KEK's public identity (`kek_ref` of the keyring rows it wraps): a hash of the verifier, never of the key,
 * so it is computable from kek.json without the passphrase and says no more than the verifier does (I-K1).
 */
export function localKekRef(verifier: Uint8Array): string {
  return `local:${createHash('sha256').update(REF_LABEL).update(verifier).digest('hex').slice(0, 32)}`;
}
