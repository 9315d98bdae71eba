// Makes a logged key rotation take effect at its log position (DESIGN §8): before sealing for a tenant, the
// node checks the tenant's rotation epoch (from the view) and rotates its DEK first if it has not yet done so.
import type { DatabaseSync } from 'node:sqlite';
import { DsvError } from '../../errors/index.ts';
import type { Keyring } from '../keyring/keyring.ts';

/** What the keys context reads of the log-derived view. */
export interface TenantKeyState {
  keyEpoch(tenant: string): number;
  isShredded(tenant: string): boolean;
}

export class EpochRotation {
  readonly #db: DatabaseSync;
  readonly #keyring: Keyring;
  readonly #tenants: TenantKeyState;
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(db: DatabaseSync, keyring: Keyring, tenants: TenantKeyState) {
    this.#db = db;
    this.#keyring = keyring;
    this.#tenants = tenants;
    db.exec(
      `CREATE TABLE IF NOT EXISTS keys_epochs (tenant TEXT PRIMARY KEY, epoch INTEGER NOT NULL) STRICT`,
    );
  }

  /** The epoch this node last rotated the tenant's DEK for (local fact, not log state). */
  doneEpoch(tenant: string): number {
    const row = this.#db.prepare('SELECT epoch FROM keys_epochs WHERE tenant = ?').get(tenant) as
      { epoch: number } | undefined;
    return row?.epoch ?? 0;
  }

  /** Call before every seal: a shredded tenant gets no new key; a pending rotation happens first. */
  async beforeSeal(tenant: string): Promise<void> {
    if (this.#tenants.isShredded(tenant)) throw new DsvError('DSV_TENANT_SHREDDED');
    const required = this.#tenants.keyEpoch(tenant);
    if (required <= this.doneEpoch(tenant)) return;
    let running = this.#inFlight.get(tenant);
    if (!running) {
      running = this.#rotate(tenant, required).finally(() => this.#inFlight.delete(tenant));
      this.#inFlight.set(tenant, running);
    }
    await running;
    if (this.doneEpoch(tenant) < required) await this.beforeSeal(tenant); // a later rotation arrived meanwhile
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
