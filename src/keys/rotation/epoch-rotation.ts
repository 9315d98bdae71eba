// Makes a logged key rotation take effect at its log position (DESIGN §8): as soon as a node has applied a
// keys-rotate record it creates the tenant's new DEK (told by the view), and before sealing for a tenant it
// checks the tenant's rotation epoch and rotates first if that has not happened yet (a restart, a failure).
import { migrateSchema } from '../../platform/schema-migrations.ts';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { DsvError } from '../../errors/index.ts';
import type { Keyring } from '../keyring/keyring.ts';
import type { TenantKeyRef } from '../tenant/tenant-kek-layer.ts';

/** What the keys context reads of the log-derived view. */
export interface TenantKeyState {
  keyEpoch(tenant: string): number;
  /** Tenant-held keys (I-K6): the key the tenant registered in its own KMS, if any. */
  tenantKey?(tenant: string): TenantKeyRef | undefined;
  isShredded(tenant: string): boolean;
  /**
   * Optional: calls `listener` each time a tenant's key epoch is set, i.e. when a keys-rotate record is
   * applied (inside the apply transaction: the listener only notes the tenant and defers the work).
   */
  onKeyEpoch?(listener: (tenant: string) => void): void;
}

export class EpochRotation {
  readonly #db: DatabaseSync;
  #selectEpoch: StatementSync | undefined;
  readonly #keyring: Keyring;
  readonly #tenants: TenantKeyState;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Tenants whose keys-rotate record was applied and whose rotation has not been started yet. */
  readonly #applied = new Set<string>();

  constructor(db: DatabaseSync, keyring: Keyring, tenants: TenantKeyState) {
    this.#db = db;
    this.#keyring = keyring;
    this.#tenants = tenants;
    migrateSchema(db, 'key-epochs', [
      (migrating) =>
        migrating.exec(
          `CREATE TABLE IF NOT EXISTS keys_epochs (tenant TEXT PRIMARY KEY, epoch INTEGER NOT NULL) STRICT`,
        ),
    ]);
    tenants.onKeyEpoch?.((tenant) => {
      this.#applied.add(tenant);
      // After the apply transaction: the new DEK is wrapped (async) and stored in its own transaction.
      setImmediate(() => void this.#rotateApplied(tenant));
    });
    keyring.onRotationsSettled(() => this.settled());
  }

  /**
   * Rotates now for every keys-rotate record applied so far, and waits for rotations in progress, so that
   * the keyring shows the new DEKs as active (what `dsv keys status` reports). A failure (the KEK
   * unavailable) is left to the next seal, which rotates first or refuses.
   */
  async settled(): Promise<void> {
    await Promise.all([...this.#applied].map((tenant) => this.#rotateApplied(tenant)));
    await Promise.allSettled(this.#inFlight.values());
  }

  async #rotateApplied(tenant: string): Promise<void> {
    if (!this.#applied.delete(tenant)) return;
    try {
      if (this.#tenants.isShredded(tenant)) return;
      await this.#ensureEpoch(tenant);
      // A shred applied while the new DEK was being wrapped must not leave it behind (as afterSeal).
      if (this.#tenants.isShredded(tenant)) this.#keyring.destroyTenant(tenant);
    } catch {
      // The next seal for the tenant tries again (beforeSeal) and reports the error to its writer.
    }
  }

  /** The epoch this node last rotated the tenant's DEK for (local fact, not log state). */
  doneEpoch(tenant: string): number {
    // Prepared once: this runs before every seal (issue #10 profile).
    this.#selectEpoch ??= this.#db.prepare('SELECT epoch FROM keys_epochs WHERE tenant = ?');
    const row = this.#selectEpoch.get(tenant) as { epoch: number } | undefined;
    return row?.epoch ?? 0;
  }

  /** Call before every seal: a shredded tenant gets no new key; a pending rotation happens first. */
  async beforeSeal(tenant: string): Promise<void> {
    if (this.#tenants.isShredded(tenant)) throw new DsvError('DSV_TENANT_SHREDDED');
    await this.#ensureEpoch(tenant);
  }

  /** Rotates the tenant's DEK once for its current epoch (concurrent callers share one rotation). */
  async #ensureEpoch(tenant: string): Promise<void> {
    const required = this.#tenants.keyEpoch(tenant);
    if (required <= this.doneEpoch(tenant)) return;
    let running = this.#inFlight.get(tenant);
    if (!running) {
      running = this.#rotate(tenant, required).finally(() => this.#inFlight.delete(tenant));
      this.#inFlight.set(tenant, running);
    }
    await running;
    if (this.doneEpoch(tenant) < required) await this.#ensureEpoch(tenant); // a later rotation arrived meanwhile
  }

  /** After a seal: a shred applied while we awaited a key must not leave a fresh DEK behind. */
  afterSeal(tenant: string): void {
    if (this.#tenants.isShredded(tenant)) {
      this.#keyring.destroyTenant(tenant);
      throw new DsvError('DSV_TENANT_SHREDDED');
    }
  }

  async #rotate(tenant: string, epoch: number): Promise<void> {
    // A tenant with no DEK yet simply gets its first one on the next seal: that is already "newer".
    if (this.#keyring.activeKeyId(tenant) !== undefined) await this.#keyring.rotate(tenant);
    this.#db
      .prepare(
        `INSERT INTO keys_epochs (tenant, epoch) VALUES (?, ?)
         ON CONFLICT (tenant) DO UPDATE SET epoch = MAX(epoch, excluded.epoch)`,
      )
      .run(tenant, epoch);
  }
}
