// The ShardSealer the node uses at rest (DESIGN §8): AES-256-GCM envelopes under the tenant's keyring DEK.
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { ShardIdentity, ShardSealer } from '../../shards/index.ts';
import { openEnvelope, peekKeyId, sealEnvelope } from '../envelope/shard-envelope.ts';
import type { Keyring } from './keyring.ts';

/** Hooks around a seal: logged rotations take effect first, and shredded tenants get no key. */
export interface SealGate {
  beforeSeal(tenant: string): Promise<void>;
  afterSeal(tenant: string): void;
}

export class EnvelopeShardSealer implements ShardSealer {
  readonly kind = 'envelope-aes-256-gcm';
  readonly #keyring: Keyring;
  readonly #gate: SealGate | undefined;

  constructor(keyring: Keyring, gate?: SealGate) {
    this.#keyring = keyring;
    this.#gate = gate;
  }

  async seal(identity: ShardIdentity, share: Uint8Array): Promise<Uint8Array> {
    await this.#gate?.beforeSeal(identity.tenant);
    const dek = await this.#keyring.activeKey(identity.tenant);
    const sealed = sealEnvelope(dek.cipherKey, dek.id, identity, share);
    this.#gate?.afterSeal(identity.tenant);
    return sealed;
  }

  keyIdOf(sealed: Uint8Array): number | undefined {
    try {
      return peekKeyId(sealed);
    } catch {
      return undefined;
    }
  }

  /** Every failure, including an unreachable KEK, is DSV_SHARD_UNREADABLE: the read path treats it as missing. */
  async open(identity: ShardIdentity, sealed: Uint8Array): Promise<Uint8Array> {
    const keyId = peekKeyId(sealed);
    let dek;
    try {
      dek = await this.#keyring.keyById(keyId);
    } catch (error) {
      throw new DsvError('DSV_SHARD_UNREADABLE', undefined, {
        cause: error,
        details: { reason: 'key-unavailable', ...(isDsvError(error) ? { keyError: error.code } : {}) },
      });
    }
    // A key of another tenant never opens this tenant's shard, even before the AAD check would refuse it.
    const key = dek !== undefined && dek.tenant === identity.tenant ? dek.cipherKey : undefined;
    return openEnvelope((id) => (id === keyId ? key : undefined), identity, sealed);
  }
}
