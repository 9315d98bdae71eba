// An unwrapped DEK in memory: id and tenant are public, the bytes are reachable only through `key` (I-K1).
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { DsvError } from '../../errors/index.ts';

export type DekState = 'active' | 'retired' | 'destroyed';

export class DataKey {
  readonly id: number;
  readonly tenant: string;
  readonly #key: Buffer;
  #cipherKey: KeyObject | undefined;
  #wiped = false;

  constructor(id: number, tenant: string, key: Uint8Array) {
    this.id = id;
    this.tenant = tenant;
    this.#key = Buffer.from(key);
  }

  /** The 32 key bytes. Pass them to the cipher only; never log, persist or put them in an error (I-K1). */
  get key(): Uint8Array {
    return this.#key;
  }

  /**
   * The same key as a KeyObject, made once: what the ciphers are given on the hot path (see AesKey). Like
   * every key node:crypto is handed, its copy lives in native memory until the object is collected; `wipe`
   * drops it together with the bytes.
   */
  get cipherKey(): KeyObject {
    // A seal that raced a shred or a revoke must fail, never seal under the zeroed bytes.
    if (this.#wiped)
      throw new DsvError('DSV_SHARD_UNREADABLE', undefined, { details: { reason: 'key-wiped' } });
    this.#cipherKey ??= createSecretKey(this.#key);
    return this.#cipherKey;
  }

  /** Zero-fills the bytes; used when a tenant is crypto-shredded or the keyring closes. */
  wipe(): void {
    this.#key.fill(0);
    this.#cipherKey = undefined;
    this.#wiped = true;
  }

  toJSON(): { id: number; tenant: string } {
    return { id: this.id, tenant: this.tenant };
  }

  [inspect.custom](): string {
    return `DataKey { id: ${this.id}, tenant: ${JSON.stringify(this.tenant)} }`;
  }
}

/**
 * A MAC under the DEK itself over (id, tenant): the KEK port wraps without context, so this is what stops a
 * wrapped DEK copied into another row of the database from being used as that row's key (I-K2).
 */
export function dekBinding(key: Uint8Array, id: number, tenant: string): Buffer {
  const idBytes = Buffer.alloc(8);
  idBytes.writeBigUInt64BE(BigInt(id));
  const tenantBytes = Buffer.from(tenant, 'utf8');
  const tenantLength = Buffer.alloc(4);
  tenantLength.writeUInt32BE(tenantBytes.length);
  return createHmac('sha256', key)
    .update('dsv/keyring/dek-binding/v1')
    .update(idBytes)
    .update(tenantLength)
    .update(tenantBytes)
    .digest();
}

export function bindingMatches(key: Uint8Array, id: number, tenant: string, stored: Uint8Array): boolean {
  const expected = dekBinding(key, id, tenant);
  return stored.length === expected.length && timingSafeEqual(expected, stored);
}
