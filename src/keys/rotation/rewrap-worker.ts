// Background rewrap (DESIGN §8): re-seals shards still under an old DEK with the tenant's active DEK, a
// bounded number per tick, and destroys an old DEK once no shard references it. Progress is reported.
import type { Logger } from 'pino';
import type { ShardStore } from '../../shards/index.ts';
import type { Keyring } from '../keyring/keyring.ts';

export interface RewrapOptions {
  /** Shards re-sealed per tick at most (the rate limit). */
  readonly batch: number;
  readonly intervalMs: number;
}

export interface TenantKeyStatus {
  readonly tenant: string;
  readonly activeKeyId: number | null;
  /** `tenantKek`: the tenant-held key (`<provider>:<keyRef>`) under the node KEK's layer (I-K6), if any. */
  readonly keys: Array<{
    id: number;
    state: string;
    shards: number;
    encryptions: number;
    tenantKek?: string;
  }>;
  readonly shards: number;
  readonly shardsUnderActiveKey: number;
  /** 100 when every shard of the tenant is under its active DEK. */
  readonly rewrapPercent: number;
}

export class RewrapWorker {
  readonly #shards: ShardStore;
  readonly #keyring: Keyring;
  readonly #logger: Logger;
  readonly #options: RewrapOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(shards: ShardStore, keyring: Keyring, logger: Logger, options: RewrapOptions) {
    this.#shards = shards;
    this.#keyring = keyring;
    this.#logger = logger;
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One bounded pass; returns how many shards were re-sealed. */
  async tick(): Promise<number> {
    if (this.#running) return 0;
    this.#running = true;
    let resealed = 0;
    try {
      for (const tenant of new Set(this.#shards.keyUsage().map((usage) => usage.tenant))) {
        const active = this.#keyring.activeKeyId(tenant);
        if (active === undefined) continue;
        for (const shard of this.#shards.sealedUnderOtherKeys(
          tenant,
          active,
          this.#options.batch - resealed,
        )) {
          try {
            const share = await this.#shards.open(shard);
            if (await this.#shards.reseal(shard, share)) resealed += 1;
            share.fill(0);
          } catch (error) {
            // A shard that no longer opens stays as it is; read repair will replace it.
            this.#logger.warn({ err: error, tenant }, 'rewrap skipped a shard that does not open');
          }
        }
        this.#retireUnreferenced(tenant);
        if (resealed >= this.#options.batch) break;
      }
    } finally {
      this.#running = false;
    }
    return resealed;
  }

  /** A DEK is destroyed only when nothing references it (DESIGN §8). */
  #retireUnreferenced(tenant: string): void {
    const used = new Set(
      this.#shards
        .keyUsage()
        .filter((usage) => usage.tenant === tenant && usage.shards > 0)
        .map((usage) => usage.keyId),
    );
    for (const info of this.#keyring.list(tenant)) {
      if (info.state === 'retired' && !used.has(info.id) && this.#keyring.destroyKey(info.id)) {
        this.#logger.info({ tenant, keyId: info.id }, 'retired data key destroyed: nothing references it');
      }
    }
  }

  /** `status()` once every applied keys-rotate record has made its new DEK: what `dsv keys status` shows. */
  async settledStatus(): Promise<TenantKeyStatus[]> {
    await this.#keyring.rotationsSettled();
    return this.status();
  }

  status(): TenantKeyStatus[] {
    const usage = this.#shards.keyUsage();
    const tenants = new Set(usage.map((entry) => entry.tenant));
    return [...tenants].sort().map((tenant) => {
      const activeKeyId = this.#keyring.activeKeyId(tenant) ?? null;
      const perKey = usage.filter((entry) => entry.tenant === tenant);
      const shards = perKey.reduce((sum, entry) => sum + entry.shards, 0);
      const underActive = perKey.find((entry) => entry.keyId === activeKeyId)?.shards ?? 0;
      return {
        tenant,
        activeKeyId,
        keys: this.#keyring.list(tenant).map((info) => ({
          id: info.id,
          state: info.state,
          shards: perKey.find((entry) => entry.keyId === info.id)?.shards ?? 0,
          encryptions: info.encryptions,
          ...(info.tenantKek === undefined ? {} : { tenantKek: info.tenantKek }),
        })),
        shards,
        shardsUnderActiveKey: underActive,
        rewrapPercent: shards === 0 ? 100 : Math.floor((underActive / shards) * 1000) / 10,
      };
    });
  }
}
