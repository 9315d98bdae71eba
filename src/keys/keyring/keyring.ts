// The per-node DEK keyring (DESIGN §8): one active DEK per tenant, wrapped by the KEK, counted and rotated
// well before 2^32 encryptions (I-K3), destroyable for crypto-shred. Unwrapped keys live only in memory (I-K1).
import { randomBytes } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { KekProvider } from '../kek/kek-provider.ts';
import { DataKey, bindingMatches, dekBinding } from './data-key.ts';
import { checkKekOwnsKeys } from './kek-check.ts';
import { kekRefOf } from './kek-ref.ts';
import { KeyQueue } from './key-queue.ts';
import { tenantKeyUnavailable, type TenantKekLayer } from '../tenant/tenant-kek-layer.ts';
import { inTransaction } from '../../platform/node-database.ts';
import { CommittedMemo } from '../../platform/committed-memo.ts';
import { migrateKeyring, toDekInfo, type DekInfo, type DekRow } from './keyring-schema.ts';

/** Random 96-bit nonces stay safe for < 2^32 encryptions per key (NIST SP 800-38D §8.3); rotate at half. */
export const DEFAULT_ROTATE_AFTER = 2 ** 31;
export const DEFAULT_COUNTER_BLOCK = 1024;

export interface KeyringOptions {
  readonly db: DatabaseSync;
  readonly kek: KekProvider;
  /** Encryptions after which a tenant's DEK is replaced (I-K3); at most 2^31. Small values are for tests. */
  readonly rotateAfter?: number;
  /** Encryptions reserved per database write; a crash skips at most this many counter values. */
  readonly counterBlock?: number;
  readonly now?: () => number;
  /**
   * Tenant-held keys (I-K6): a tenant with a registered key gets DEKs wrapped under it first, then under
   * `kek`; such a DEK stays unwrapped in memory for at most the layer's `cacheMs`.
   */
  readonly tenantKeys?: TenantKekLayer;
}

/** The in-memory counter of a tenant's active DEK: `next` < `reservedUpTo` may be used without a write. */
interface ActiveCounter {
  readonly key: DataKey;
  next: number;
  reservedUpTo: number;
}

export class Keyring {
  readonly #db: DatabaseSync;
  readonly #kek: KekProvider;
  readonly #rotateAfter: number;
  readonly #block: number;
  readonly #now: () => number;
  readonly #keys = new Map<number, DataKey>();
  /** When a cached tenant-layered DEK must be unwrapped through the tenant's KMS again (I-K6). */
  readonly #expires = new Map<number, number>();
  readonly #tenantKeys: TenantKekLayer | undefined;
  /** Tenants whose key was probed without a DEK to unwrap, until when (same bound as the DEK cache). */
  readonly #probed = new Map<string, number>();
  #newestLayered: StatementSync | undefined;
  /** Per tenant, the id `checkTenantKey` asks for; the DEK writers (create, destroy) forget it first. */
  readonly #newestLayeredId: CommittedMemo<number | undefined>;
  readonly #active = new Map<string, ActiveCounter>();
  /** One key change per tenant at a time; fast-path takes never wait. */
  readonly #queue = new KeyQueue();
  #rotationsSettled: (() => Promise<void>) | undefined;

  private constructor(options: KeyringOptions) {
    this.#db = options.db;
    this.#newestLayeredId = new CommittedMemo(options.db);
    this.#kek = options.kek;
    this.#rotateAfter = options.rotateAfter ?? DEFAULT_ROTATE_AFTER;
    this.#block = options.counterBlock ?? DEFAULT_COUNTER_BLOCK;
    this.#now = options.now ?? Date.now;
    this.#tenantKeys = options.tenantKeys;
    if (
      !Number.isInteger(this.#rotateAfter) ||
      this.#rotateAfter < 1 ||
      this.#rotateAfter > DEFAULT_ROTATE_AFTER
    ) {
      throw new DsvError('DSV_INTERNAL', 'rotateAfter must be an integer in 1..2^31 (I-K3)');
    }
    if (!Number.isInteger(this.#block) || this.#block < 1 || this.#block > 2 ** 20) {
      throw new DsvError('DSV_INTERNAL', 'counterBlock must be an integer in 1..2^20');
    }
  }

  /**
   * Creates the tables and proves the KEK owns every live DEK (their `kek_ref`s, then a real unwrap), so a
   * node with the wrong KEK — or mid KEK rotation with the wrong secret — refuses to start (sealed) instead of
   * failing every read later (`kek-check.ts`).
   */
  static async open(options: KeyringOptions): Promise<Keyring> {
    const keyring = new Keyring(options);
    migrateKeyring(keyring.#db);
    await checkKekOwnsKeys(keyring.#db, keyring.#kek);
    return keyring;
  }

  /**
   * The DEK to use for ONE encryption for `tenant`: every call counts (I-K3). Creates the tenant's first DEK,
   * and replaces the DEK once it reaches `rotateAfter` encryptions.
   */
  async activeKey(tenant: string): Promise<DataKey> {
    for (;;) {
      const taken = this.#take(tenant);
      if (taken !== undefined) return taken;
      await this.#queue.run(tenant, () => this.#refresh(tenant));
    }
  }

  /** The node's rotation scheduler (EpochRotation) registers how to wait for the rotations it was told of. */
  onRotationsSettled(settled: () => Promise<void>): void {
    this.#rotationsSettled = settled;
  }

  /** Resolves once every rotation already decided (an applied keys-rotate record) has made its new DEK. */
  async rotationsSettled(): Promise<void> {
    await this.#rotationsSettled?.();
  }

  /** Rotates now: the new DEK takes new writes at once; the old one stays for reads (DESIGN §8). */
  async rotate(tenant: string): Promise<DekInfo> {
    await this.#queue.run(tenant, () => this.#createDek(tenant));
    const active = this.#active.get(tenant);
    if (active === undefined) throw new DsvError('DSV_INTERNAL', 'Rotation left no active key');
    return this.#info(active.key.id);
  }

  /** Any live DEK by id (active or retired), unwrapped once and cached; `undefined` if unknown or destroyed. */
  async keyById(id: number): Promise<DataKey | undefined> {
    const cached = this.#cached(id);
    if (cached !== undefined) return cached;
    const row = this.#db.prepare('SELECT * FROM keys_deks WHERE id = ?').get(id) as DekRow | undefined;
    if (row === undefined || row.state === 'destroyed') return undefined;
    const bytes = await this.#unwrapRow(row);
    try {
      if (bytes.length !== 32 || !bindingMatches(bytes, row.id, row.tenant, row.binding)) {
        throw new DsvError('DSV_KEY_UNWRAP_FAILED', `Data key ${id} does not belong to its keyring row`);
      }
      // A destroy may have run while we awaited the KEK: never resurrect a shredded key into the cache.
      const still = this.#db.prepare('SELECT state FROM keys_deks WHERE id = ?').get(id) as
        { state: string } | undefined;
      if (still === undefined || still.state === 'destroyed') return undefined;
      const key = this.#cached(id) ?? new DataKey(row.id, row.tenant, bytes);
      this.#keys.set(id, key);
      if (row.tenant_kek_ref !== null && this.#tenantKeys !== undefined) {
        this.#expires.set(id, this.#now() + this.#tenantKeys.cacheMs);
      }
      return key;
    } finally {
      bytes.fill(0);
    }
  }

  /**
   * Per request on the DEK path (I-K6): proves this node can still use the tenant's key, through the tenant's
   * KMS at least once per cache bound. Throws DSV_TENANT_KEY_UNAVAILABLE (KMS down, key disabled or destroyed)
   * or DSV_TENANT_KEY_REVOKED; a tenant without a tenant key, and its DEKs, are never touched.
   */
  async checkTenantKey(tenant: string): Promise<void> {
    const layer = this.#tenantKeys;
    if (layer === undefined) return;
    const required = layer.requiredRef(tenant);
    // Prepared once: this runs before every read and write (I-K7).
    this.#newestLayered ??= this.#db.prepare(
      `SELECT id FROM keys_deks WHERE tenant = ? AND state != 'destroyed' AND tenant_kek_ref IS NOT NULL
       ORDER BY id DESC LIMIT 1`,
    );
    const statement = this.#newestLayered;
    const id = this.#newestLayeredId.get(
      tenant,
      () => (statement.get(tenant) as { id: number } | undefined)?.id,
    );
    if (id !== undefined) {
      await this.keyById(id);
      return;
    }
    if (required !== null) {
      const { provider, keyRef } = layer.current(tenant) ?? { provider: '', keyRef: '' };
      if ((this.#probed.get(tenant) ?? 0) > this.#now()) return;
      await layer.probe(tenant, provider, keyRef).catch((error: unknown) => {
        throw isDsvError(error) && error.code === 'DSV_TENANT_KEY_UNKNOWN'
          ? tenantKeyUnavailable(tenant, provider, 'not-configured', error)
          : error;
      });
      this.#probed.set(tenant, this.#now() + layer.cacheMs);
    }
  }

  /** A cached DEK, unless its tenant-layer bound has passed: then it is wiped and forgotten (I-K6). */
  #cached(id: number): DataKey | undefined {
    const key = this.#keys.get(id);
    const expires = this.#expires.get(id);
    if (key === undefined || expires === undefined || expires > this.#now()) return key;
    key.wipe();
    this.#keys.delete(id);
    this.#expires.delete(id);
    for (const [tenant, active] of this.#active) if (active.key === key) this.#active.delete(tenant);
    return undefined;
  }

  /** The node KEK's layer, then the tenant's (I-K6): both must answer for a tenant-layered row. */
  async #unwrapRow(row: DekRow): Promise<Uint8Array> {
    const outer = await this.#kek.unwrap(row.wrapped);
    if (row.tenant_kek_ref === null) return outer;
    try {
      if (this.#tenantKeys === undefined) {
        throw tenantKeyUnavailable(row.tenant, row.tenant_kek_ref.split(':')[0] ?? '', 'not-configured');
      }
      return await this.#tenantKeys.unwrap(row.tenant, row.tenant_kek_ref, outer);
    } finally {
      outer.fill(0);
    }
  }

  /**
   * Crypto-shred (DESIGN §8): deletes every wrapped DEK of the tenant and wipes the unwrapped copies, so no
   * envelope of the tenant opens again on this node. Returns how many keys were destroyed.
   */
  destroyTenant(tenant: string): number {
    const db = this.#db;
    const previous = (db.prepare('PRAGMA secure_delete').get() as { secure_delete: number }).secure_delete;
    db.exec('PRAGMA secure_delete = ON'); // overwrite the freed bytes instead of leaving them in free pages
    let destroyed: number;
    this.#newestLayeredId.clear();
    try {
      destroyed = inTransaction(db, () => {
        const result = db
          .prepare(
            `UPDATE keys_deks SET state = 'destroyed', wrapped = X'', binding = X'', destroyed_at = ?
             WHERE tenant = ? AND state != 'destroyed'`,
          )
          .run(this.#now(), tenant);
        return Number(result.changes);
      });
    } finally {
      db.exec(`PRAGMA secure_delete = ${previous}`);
    }
    for (const [id, key] of this.#keys) {
      if (key.tenant !== tenant) continue;
      key.wipe();
      this.#keys.delete(id);
      this.#expires.delete(id);
    }
    this.#active.delete(tenant);
    this.#probed.delete(tenant);
    // Old page images in the WAL still hold the wrapped bytes until a checkpoint truncates it; best effort.
    if (!db.isTransaction) db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return destroyed;
  }

  /**
   * Retires a rotated-away DEK for good once nothing references it (DESIGN §8): its wrapped bytes are
   * overwritten like a shred. The active DEK is never destroyed this way. Returns whether a key was destroyed.
   */
  destroyKey(id: number): boolean {
    const db = this.#db;
    const previous = (db.prepare('PRAGMA secure_delete').get() as { secure_delete: number }).secure_delete;
    db.exec('PRAGMA secure_delete = ON');
    let changed: number;
    this.#newestLayeredId.clear();
    try {
      changed = Number(
        db
          .prepare(
            `UPDATE keys_deks SET state = 'destroyed', wrapped = X'', binding = X'', destroyed_at = ?
             WHERE id = ? AND state = 'retired'`,
          )
          .run(this.#now(), id).changes,
      );
    } finally {
      db.exec(`PRAGMA secure_delete = ${previous}`);
    }
    const cached = this.#keys.get(id);
    if (changed > 0 && cached !== undefined) {
      cached.wipe();
      this.#keys.delete(id);
    }
    return changed > 0;
  }

  /** The tenant's active DEK id without counting an encryption (status, rewrap), or undefined. */
  activeKeyId(tenant: string): number | undefined {
    const row = this.#db
      .prepare(`SELECT id FROM keys_deks WHERE tenant = ? AND state = 'active'`)
      .get(tenant) as { id: number } | undefined;
    return row?.id;
  }

  /** Live DEKs of a tenant per layer (I-K6): under each tenant key, and under the node KEK alone. */
  layers(tenant: string): { tenantKey: Record<string, number>; nodeKekOnly: number } {
    const rows = this.#db
      .prepare(
        `SELECT tenant_kek_ref AS ref, count(*) AS n FROM keys_deks
         WHERE tenant = ? AND state != 'destroyed' GROUP BY tenant_kek_ref`,
      )
      .all(tenant) as Array<{ ref: string | null; n: number }>;
    const tenantKey: Record<string, number> = {};
    let nodeKekOnly = 0;
    for (const row of rows) {
      if (row.ref === null) nodeKekOnly = row.n;
      else tenantKey[row.ref] = row.n;
    }
    return { tenantKey, nodeKekOnly };
  }

  /** DEK metadata of a tenant, oldest first; no key bytes of any kind. */
  list(tenant: string): DekInfo[] {
    const rows = this.#db
      .prepare('SELECT * FROM keys_deks WHERE tenant = ? ORDER BY id')
      .all(tenant) as unknown[];
    return (rows as DekRow[]).map(toDekInfo);
  }

  /** Wipes every unwrapped key; the KEK provider is closed by its owner. */
  close(): void {
    for (const key of this.#keys.values()) key.wipe();
    this.#keys.clear();
    this.#expires.clear();
    this.#active.clear();
  }

  #info(id: number): DekInfo {
    return toDekInfo(this.#db.prepare('SELECT * FROM keys_deks WHERE id = ?').get(id) as unknown as DekRow);
  }

  /** Synchronous fast path: counts one encryption on the cached active key, reserving a block when needed. */
  #take(tenant: string): DataKey | undefined {
    const active = this.#active.get(tenant);
    if (active === undefined || active.next >= this.#rotateAfter) return undefined;
    if (this.#cached(active.key.id) === undefined) return undefined; // the tenant-layer bound passed (I-K6)
    if (active.next >= active.reservedUpTo) {
      // Reserve before use: after a crash the counter resumes past the block, never below it (I-K3).
      const row = this.#db
        .prepare(
          `UPDATE keys_deks SET encryptions_reserved = encryptions_reserved + ?
           WHERE id = ? AND state = 'active' RETURNING encryptions_reserved`,
        )
        .get(this.#block, active.key.id) as { encryptions_reserved: number } | undefined;
      if (row === undefined) {
        this.#active.delete(tenant); // retired or destroyed underneath us
        return undefined;
      }
      active.reservedUpTo = row.encryptions_reserved;
      active.next = Math.max(active.next, row.encryptions_reserved - this.#block);
      if (active.next >= this.#rotateAfter) return undefined;
    }
    active.next += 1;
    return active.key;
  }

  /** Loads the tenant's active DEK into the counter cache, or replaces it when missing or used up. */
  async #refresh(tenant: string): Promise<void> {
    const current = this.#active.get(tenant);
    if (current !== undefined && current.next < this.#rotateAfter) return; // another caller already did it
    const row = this.#db
      .prepare(`SELECT * FROM keys_deks WHERE tenant = ? AND state = 'active'`)
      .get(tenant) as DekRow | undefined;
    // I-K6: a DEK wrapped under another tenant key than the registered one (or none) takes no new writes.
    const required = this.#tenantKeys?.requiredRef(tenant) ?? null;
    if (
      row !== undefined &&
      row.encryptions_reserved < this.#rotateAfter &&
      row.tenant_kek_ref === required
    ) {
      const key = await this.keyById(row.id);
      if (key === undefined) return; // destroyed meanwhile; the caller loops
      // Resume at the persisted high-water mark: values up to it may have been used before a restart.
      this.#active.set(tenant, {
        key,
        next: row.encryptions_reserved,
        reservedUpTo: row.encryptions_reserved,
      });
      return;
    }
    await this.#createDek(tenant);
  }

  /** Creates, wraps and stores a new DEK, retiring the tenant's current one in the same transaction. */
  async #createDek(tenant: string): Promise<void> {
    const bytes = randomBytes(32);
    try {
      // I-K6: under the tenant's own key first (when it has one), then under the node's KEK.
      const inner = await this.#tenantKeys?.wrap(tenant, bytes);
      const wrapped = await this.#kek.wrap(inner?.wrapped ?? bytes);
      const now = this.#now();
      this.#newestLayeredId.clear();
      const id = inTransaction(this.#db, () => {
        this.#db
          .prepare(
            `UPDATE keys_deks SET state = 'retired', rotated_at = ? WHERE tenant = ? AND state = 'active'`,
          )
          .run(now, tenant);
        const inserted = this.#db
          .prepare(
            `INSERT INTO keys_deks (tenant, state, kek_kind, kek_ref, wrapped, binding, created_at, tenant_kek_ref)
             VALUES (?, 'active', ?, ?, ?, X'', ?, ?)`,
          )
          .run(tenant, this.#kek.kind, kekRefOf(this.#kek) ?? null, wrapped, now, inner?.ref ?? null);
        const newId = Number(inserted.lastInsertRowid);
        if (newId > 0xffff_ffff) throw new DsvError('DSV_INTERNAL', 'Key ids exhausted (u32)');
        this.#db
          .prepare('UPDATE keys_deks SET binding = ? WHERE id = ?')
          .run(dekBinding(bytes, newId, tenant), newId);
        return newId;
      });
      const key = new DataKey(id, tenant, bytes);
      this.#keys.set(id, key);
      if (inner !== undefined && this.#tenantKeys !== undefined) {
        this.#expires.set(id, this.#now() + this.#tenantKeys.cacheMs);
      }
      this.#active.set(tenant, { key, next: 0, reservedUpTo: 0 });
    } finally {
      bytes.fill(0);
    }
  }
}
