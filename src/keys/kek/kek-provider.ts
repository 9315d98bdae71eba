// The KEK port (DESIGN §8): a node's key-encryption key wraps and unwraps data keys; the KEK never leaves it.

/**
 * A key-encryption key held by a provider (local passphrase or key file, PKCS#11 HSM, AWS KMS).
 * Adapters run `runKekProviderConformance` (src/keys/kek/testing/conformance.ts).
 *
 * - `wrap` returns authenticated ciphertext of the DEK, different on every call (I-K2).
 * - `unwrap` returns the DEK or rejects with DsvError `DSV_KEY_UNWRAP_FAILED` for tampered, truncated or
 *   foreign input; it never returns other bytes.
 * - A provider that cannot reach its key rejects with `DSV_KEK_UNAVAILABLE`.
 * - Neither errors nor `kind` ever carry key bytes (I-K1).
 */
export interface KekProvider {
  /** Provider kind for status output and for recording which KEK wrapped a DEK ("local", "pkcs11", …). */
  readonly kind: string;
  wrap(dek: Uint8Array): Promise<Uint8Array>;
  unwrap(wrapped: Uint8Array): Promise<Uint8Array>;
  /** Forgets the key material (zero-fills what the process holds); later calls reject. */
  close(): Promise<void>;
}
