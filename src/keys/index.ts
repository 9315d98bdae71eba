// Keys context (DESIGN §8): shard envelopes, KEK providers, the per-node DEK keyring. Re-exports only.
export { aesGcmDecrypt, aesGcmEncrypt, type AesGcmSealed } from './envelope/aes-gcm.ts';
export { encodeShardIdentity } from './envelope/shard-aad.ts';
export {
  DEK_LENGTH,
  ENVELOPE_HEADER_LENGTH,
  ENVELOPE_MIN_LENGTH,
  ENVELOPE_VERSION,
  openEnvelope,
  peekKeyId,
  sealEnvelope,
  type EnvelopeFailure,
} from './envelope/shard-envelope.ts';
export type { KekProvider } from './kek/kek-provider.ts';
export { DEFAULT_SCRYPT, type ScryptParams } from './kek/local/kek-file.ts';
export { LocalKekProvider, type PassphraseKekOptions } from './kek/local/local-kek-provider.ts';
export {
  MIN_PASSPHRASE_LENGTH,
  PASSPHRASE_ENV,
  requireStrongPassphrase,
  resolvePassphrase,
  type PassphraseSources,
  type PassphraseTerminal,
} from './kek/local/passphrase.ts';
export { DataKey, type DekState } from './keyring/data-key.ts';
export type { DekInfo } from './keyring/keyring-schema.ts';
export {
  DEFAULT_COUNTER_BLOCK,
  DEFAULT_ROTATE_AFTER,
  Keyring,
  type KeyringOptions,
} from './keyring/keyring.ts';
export { EnvelopeShardSealer, type SealGate } from './keyring/envelope-shard-sealer.ts';
export { EpochRotation, type TenantKeyState } from './rotation/epoch-rotation.ts';
export { RewrapWorker, type RewrapOptions, type TenantKeyStatus } from './rotation/rewrap-worker.ts';
// The adapters to outside key stores (AWS KMS, PKCS#11, KMIP) have their own front door,
// src/keys/kek/providers.ts: loading them costs every importer of this barrel otherwise.
export {
  DEFAULT_TENANT_KEY_CACHE_MS,
  TenantKekLayer,
  tenantKekRefOf,
  type TenantKekLayerOptions,
  type TenantKekOpener,
  type TenantKeyDirectory,
  type TenantKeyRef,
} from './tenant/tenant-kek-layer.ts';
