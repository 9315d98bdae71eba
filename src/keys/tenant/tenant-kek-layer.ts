// Tenant-held keys (I-K6, design 2026_12_03_implemented_tenant-held-keys.md): a tenant's DEKs are wrapped first
// under a KEK the tenant controls in its own KMS, then under the node's KEK. This file is the inner layer: which
// tenant key a tenant has (the log decides, through the view), how this node reaches it (its own config), and
// the mapping of every provider failure to one stable, secret-free error.
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { KekProvider } from '../kek/kek-provider.ts';

/** The tenant key a tenant registered (a `tenant-key-set` record); `revoked` after a `tenant-key-revoke`. */
export interface TenantKeyRef {
  /** The provider kind: `aws-kms`, `pkcs11`, `kmip` or `local`. */
  readonly provider: string;
  /** The key's name at that provider (ARN or key id, token/label, KMIP UID or name, …); never key material. */
  readonly keyRef: string;
  readonly revoked: boolean;
}

/** What the layer reads of the log-derived view: the tenant's registered key, if any. */
export interface TenantKeyDirectory {
  tenantKey(tenant: string): TenantKeyRef | undefined;
}

/**
 * How THIS node reaches a tenant's key: its own config maps (tenant, provider, ref) to a provider config with
 * this node's credentials. A ref no entry maps is never opened — a record naming a KMS the operator did not
 * configure reaches nothing (threat model: a log writer cannot point nodes at a KMS it controls).
 */
export interface TenantKekOpener {
  /** Opens the provider, or undefined when this node has no entry for it. Rejects when it cannot be reached. */
  open(tenant: string, provider: string, keyRef: string): Promise<KekProvider | undefined>;
}

/** The string stored in a keyring row (`tenant_kek_ref`): which tenant key wrapped the inner layer. */
export const tenantKekRefOf = (key: { provider: string; keyRef: string }): string =>
  `${key.provider}:${key.keyRef}`;

function splitRef(ref: string): { provider: string; keyRef: string } {
  const colon = ref.indexOf(':');
  return { provider: ref.slice(0, colon), keyRef: ref.slice(colon + 1) };
}

export interface TenantKekLayerOptions {
  readonly directory: TenantKeyDirectory;
  readonly opener: TenantKekOpener;
  /**
   * How long an unwrapped tenant-layered DEK may stay in memory before the tenant's KMS is asked again
   * (I-K6: the bound on how late a revocation in the tenant's KMS takes effect on a running node).
   */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

export const DEFAULT_TENANT_KEY_CACHE_MS = 5 * 60_000;

/**
 * A provider that could not be opened (KMS unreachable, key disabled) is tried again after this long (or the
 * cache bound, if shorter): meanwhile the tenant's requests fail at once with the same 503 instead of each
 * waiting for the KMS's timeouts, and the KMS is asked at most about once a second per node (I-K7).
 */
export const TENANT_KEY_RETRY_MS = 1000;

/** A re-opened provider's predecessor is closed this long after, so calls already under way finish on it. */
const RETIRED_PROVIDER_GRACE_MS = 30_000;

/** A DSV_TENANT_KEY_UNAVAILABLE naming the tenant, provider and a reason, never bytes or credentials (I-K1). */
export function tenantKeyUnavailable(
  tenant: string,
  provider: string,
  reason: 'unreachable' | 'key-unusable' | 'not-configured',
  cause?: unknown,
): DsvError {
  const why =
    reason === 'not-configured'
      ? 'this node has no tenantKeks entry for it'
      : reason === 'unreachable'
        ? 'its KMS cannot be reached'
        : 'its KMS refuses to use the key (disabled, destroyed or access denied)';
  return new DsvError(
    'DSV_TENANT_KEY_UNAVAILABLE',
    `The key of tenant ${tenant} in its own KMS (${provider}) cannot be used: ${why}`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { reason, provider, ...(isDsvError(cause) ? { providerError: cause.code } : {}) },
    },
  );
}

export class TenantKekLayer {
  readonly cacheMs: number;
  readonly #directory: TenantKeyDirectory;
  readonly #opener: TenantKekOpener;
  readonly now: () => number;
  /**
   * Opened providers by tenant and ref, each re-opened after `cacheMs` (a local key file deleted, a KMS key
   * disabled: the next open fails). A failed open is not kept, so the next request tries again.
   */
  readonly #providers = new Map<string, { pending: Promise<KekProvider | undefined>; until: number }>();
  /** Providers replaced by a re-open, until their grace has passed (closed by `close` too). */
  readonly #retired = new Set<KekProvider>();

  constructor(options: TenantKekLayerOptions) {
    this.#directory = options.directory;
    this.#opener = options.opener;
    this.cacheMs = options.cacheMs ?? DEFAULT_TENANT_KEY_CACHE_MS;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.cacheMs) || this.cacheMs < 0) {
      throw new DsvError('DSV_INTERNAL', 'tenant key cacheMs must be a non-negative integer');
    }
  }

  /** The tenant's registered key (view), or undefined; throws DSV_TENANT_KEY_REVOKED once revoked. */
  current(tenant: string): TenantKeyRef | undefined {
    const key = this.#directory.tenantKey(tenant);
    if (key?.revoked) throw new DsvError('DSV_TENANT_KEY_REVOKED');
    return key;
  }

  /** The ref a NEW DEK of this tenant must be wrapped under, or null for the node KEK alone. */
  requiredRef(tenant: string): string | null {
    const key = this.current(tenant);
    return key === undefined ? null : tenantKekRefOf(key);
  }

  /** Wraps `dek` under the tenant's key, or returns undefined when the tenant has none. */
  async wrap(tenant: string, dek: Uint8Array): Promise<{ ref: string; wrapped: Uint8Array } | undefined> {
    const ref = this.requiredRef(tenant);
    if (ref === null) return undefined;
    const provider = await this.#provider(tenant, ref);
    try {
      return { ref, wrapped: await provider.wrap(dek) };
    } catch (error) {
      throw this.#failed(tenant, ref, error);
    }
  }

  /** Unwraps the inner layer of a row wrapped under `ref`. Any failure is DSV_TENANT_KEY_UNAVAILABLE. */
  async unwrap(tenant: string, ref: string, inner: Uint8Array): Promise<Uint8Array> {
    const provider = await this.#provider(tenant, ref);
    try {
      return await provider.unwrap(inner);
    } catch (error) {
      throw this.#failed(tenant, ref, error);
    }
  }

  /** Opens (or reuses) the provider and proves a wrap/unwrap round trip: used before recording a key. */
  async probe(tenant: string, provider: string, keyRef: string): Promise<void> {
    const ref = tenantKekRefOf({ provider, keyRef });
    const kek = await this.#provider(tenant, ref, 'DSV_TENANT_KEY_UNKNOWN');
    const sample = new Uint8Array(32).fill(0x5a);
    try {
      const back = await kek.unwrap(await kek.wrap(sample));
      const same = Buffer.from(back).equals(sample);
      back.fill(0);
      if (!same)
        throw new DsvError('DSV_TENANT_KEY_UNKNOWN', 'The tenant key did not round-trip a test value');
    } catch (error) {
      if (isDsvError(error) && error.code === 'DSV_TENANT_KEY_UNKNOWN') throw error;
      throw this.#failed(tenant, ref, error);
    }
  }

  /** Closes every opened provider (node stop). */
  async close(): Promise<void> {
    const opened = [...this.#providers.values()];
    const retired = [...this.#retired];
    this.#providers.clear();
    this.#retired.clear();
    await Promise.allSettled([
      ...opened.map(async ({ pending }) => (await pending.catch(() => undefined))?.close()),
      ...retired.map((provider) => provider.close()),
    ]);
  }

  async #provider(
    tenant: string,
    ref: string,
    unknown: 'DSV_TENANT_KEY_UNAVAILABLE' | 'DSV_TENANT_KEY_UNKNOWN' = 'DSV_TENANT_KEY_UNAVAILABLE',
  ): Promise<KekProvider> {
    const { provider, keyRef } = splitRef(ref);
    const cacheKey = JSON.stringify([tenant, ref]);
    const cached = this.#providers.get(cacheKey);
    let pending = cached?.pending;
    if (cached === undefined || cached.until <= this.now()) {
      if (cached !== undefined)
        void cached.pending.then((old) => old && this.#retire(old)).catch(() => undefined);
      const opening = this.#opener.open(tenant, provider, keyRef);
      pending = opening;
      this.#providers.set(cacheKey, { pending: opening, until: this.now() + this.cacheMs });
      // Not configured: forgotten at once. Could not be opened (KMS down, key disabled): the failure answers
      // for TENANT_KEY_RETRY_MS, then the next request tries again.
      const current = () => this.#providers.get(cacheKey)?.pending === opening;
      opening.then(
        (opened) => opened === undefined && current() && this.#providers.delete(cacheKey),
        () => {
          if (current()) {
            const retry = Math.min(this.cacheMs, TENANT_KEY_RETRY_MS);
            this.#providers.set(cacheKey, { pending: opening, until: this.now() + retry });
          }
        },
      );
    }
    let opened: KekProvider | undefined;
    try {
      opened = await pending;
    } catch (error) {
      throw this.#failed(tenant, ref, error);
    }
    if (opened === undefined) {
      if (unknown === 'DSV_TENANT_KEY_UNKNOWN') {
        throw new DsvError(
          'DSV_TENANT_KEY_UNKNOWN',
          `This node has no tenantKeks entry for tenant ${tenant}, provider ${provider} and that ref`,
        );
      }
      throw tenantKeyUnavailable(tenant, provider, 'not-configured');
    }
    return opened;
  }

  /** Closes a replaced provider after a grace period, so a wrap or unwrap already under way on it completes. */
  #retire(provider: KekProvider): void {
    this.#retired.add(provider);
    setTimeout(() => {
      if (this.#retired.delete(provider)) void provider.close().catch(() => undefined);
    }, RETIRED_PROVIDER_GRACE_MS).unref();
  }

  #failed(tenant: string, ref: string, error: unknown): DsvError {
    if (isDsvError(error) && error.code === 'DSV_TENANT_KEY_UNAVAILABLE') return error;
    const { provider } = splitRef(ref);
    // DSV_KEK_UNAVAILABLE from an adapter: the KMS or the key's state; anything else: the key refused it.
    const unreachable =
      isDsvError(error) &&
      error.code === 'DSV_KEK_UNAVAILABLE' &&
      /reach|timed out|connect/i.test(error.message);
    return tenantKeyUnavailable(tenant, provider, unreachable ? 'unreachable' : 'key-unusable', error);
  }
}
