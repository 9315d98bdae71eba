// pathHmac: HMAC-SHA256 of a secret's (namespace, name) under a per-tenant key derived (HKDF) from the
// node's audit secret — an auditor holding the key can ask "was secret X touched"; the trail alone reveals
// no names, and two tenants' identical paths look unrelated.
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { DsvError } from '../errors/index.ts';

const HKDF_SALT = Buffer.from('dsv-audit-path-hmac-v1');
const MAX_CACHED_TENANTS = 10_000;
/** pathHmac is pure, and a hot secret is read again and again: its HMAC is kept (bounded, cleared when full). */
const MAX_CACHED_PATHS = 65_536;

export class AuditPathHasher {
  readonly #secret: Buffer;
  readonly #tenantKeys = new Map<string, { raw: Buffer; key: KeyObject }>();
  readonly #paths = new Map<string, string>();

  /** `secret`: the node audit secret (32 bytes, `loadOrCreateAuditSecret`). Copied; never logged. */
  constructor(secret: Uint8Array) {
    if (secret.length < 32)
      throw new DsvError('DSV_INPUT_INVALID', 'The audit secret must be 32 bytes or more');
    this.#secret = Buffer.from(secret);
  }

  /** 64 lowercase hex chars; deterministic for (node secret, tenant, namespace, name). */
  pathHmac(tenant: string, namespace: string, name: string): string {
    const path = JSON.stringify([tenant, namespace, name]);
    let hmac = this.#paths.get(path);
    if (hmac === undefined) {
      hmac = createHmac('sha256', this.#tenantKey(tenant).key)
        .update(encodePath(namespace, name))
        .digest('hex');
      if (this.#paths.size >= MAX_CACHED_PATHS) this.#paths.clear();
      this.#paths.set(path, hmac);
    }
    return hmac;
  }

  /** The tenant's HMAC key, for handing to an auditor of that tenant only (hex). */
  tenantKeyHex(tenant: string): string {
    return this.#tenantKey(tenant).raw.toString('hex');
  }

  #tenantKey(tenant: string): { raw: Buffer; key: KeyObject } {
    let key = this.#tenantKeys.get(tenant);
    if (key === undefined) {
      // HKDF info = the tenant id, length-prefixed like the path, so no tenant's key equals another's.
      const raw = Buffer.from(hkdfSync('sha256', this.#secret, HKDF_SALT, lengthPrefixed([tenant]), 32));
      key = { raw, key: createSecretKey(raw) };
      if (this.#tenantKeys.size >= MAX_CACHED_TENANTS) this.#tenantKeys.clear();
      this.#tenantKeys.set(tenant, key);
    }
    return key;
  }
}

/**
 * An unambiguous encoding of (namespace, name): each part as u32 big-endian UTF-8 byte length, then the
 * bytes — ("a/b","c") and ("a","b/c") never collide, whatever characters names hold (DESIGN §4).
 */
export function encodePath(namespace: string, name: string): Buffer {
  return lengthPrefixed([namespace, name]);
}

function lengthPrefixed(parts: readonly string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    // A lone surrogate would be encoded as U+FFFD, colliding with a real U+FFFD: refuse instead.
    if (!part.isWellFormed()) throw new DsvError('DSV_INPUT_INVALID', 'A name is not well-formed Unicode');
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    chunks.push(length, bytes);
  }
  return Buffer.concat(chunks);
}
