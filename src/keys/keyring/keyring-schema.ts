// The keyring's tables in the node database (prefix keys_): wrapped DEKs only, never unwrapped ones (I-K1).
import type { DatabaseSync } from 'node:sqlite';
import { migrateSchema } from '../../platform/schema-migrations.ts';
import type { DekState } from './data-key.ts';

/** The keyring's tables, in order (issue #13); the first adopts databases from before versioning. */
export function migrateKeyring(db: DatabaseSync): void {
  migrateSchema(db, 'keyring', [keyringBaseline, keyringTenantLayer]);
}

/**
 * Tenant-held keys (I-K6): `tenant_kek_ref` names the tenant key that wrapped the DEK before the node KEK did
 * (`<provider>:<ref>`); NULL means the node KEK alone, as every row before this migration.
 */
function keyringTenantLayer(db: DatabaseSync): void {
  db.exec('ALTER TABLE keys_deks ADD COLUMN tenant_kek_ref TEXT');
}

function keyringBaseline(db: DatabaseSync): void {
  // AUTOINCREMENT: a key id is never reused, so an old envelope can never name a newer tenant's key.
  db.exec(`
    CREATE TABLE IF NOT EXISTS keys_deks (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      tenant TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('active', 'retired', 'destroyed')),
      kek_kind TEXT NOT NULL,
      kek_ref TEXT,
      wrapped BLOB NOT NULL,
      binding BLOB NOT NULL,
      encryptions_reserved INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      rotated_at INTEGER,
      destroyed_at INTEGER
    ) STRICT;
    CREATE UNIQUE INDEX IF NOT EXISTS keys_deks_one_active ON keys_deks (tenant) WHERE state = 'active';
    CREATE INDEX IF NOT EXISTS keys_deks_by_tenant ON keys_deks (tenant, id);
  `);
  migrateKekRotation(db);
}

/**
 * KEK rotation (DESIGN §8): `kek_ref` names the KEK that wrapped a row (NULL: written before refs existed, or
 * by a provider without one); `keys_kek_staged` holds each DEK's wrap under the NEXT KEK until one
 * transaction swaps them in. A destroyed DEK loses its staged wrap in the same statement (crypto-shred).
 */
function migrateKekRotation(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(keys_deks)').all() as Array<{ name: string }>;
  if (!columns.some((column) => column.name === 'kek_ref')) {
    db.exec('ALTER TABLE keys_deks ADD COLUMN kek_ref TEXT');
  }
  db.exec(`
    CREATE TABLE IF NOT EXISTS keys_kek_staged (
      dek_id INTEGER PRIMARY KEY REFERENCES keys_deks (id) ON DELETE CASCADE,
      kek_ref TEXT NOT NULL,
      wrapped BLOB NOT NULL
    ) STRICT;
    CREATE TRIGGER IF NOT EXISTS keys_kek_staged_forget AFTER UPDATE OF state ON keys_deks
      WHEN NEW.state = 'destroyed'
      BEGIN DELETE FROM keys_kek_staged WHERE dek_id = NEW.id; END;
  `);
}

export interface DekRow {
  readonly id: number;
  readonly tenant: string;
  readonly state: DekState;
  readonly kek_kind: string;
  readonly kek_ref: string | null;
  readonly wrapped: Uint8Array;
  readonly binding: Uint8Array;
  readonly encryptions_reserved: number;
  readonly created_at: number;
  readonly rotated_at: number | null;
  readonly destroyed_at: number | null;
  readonly tenant_kek_ref: string | null;
}

/** What status output may show about a DEK: never bytes, wrapped or not. */
export interface DekInfo {
  readonly id: number;
  readonly tenant: string;
  readonly state: DekState;
  readonly kekKind: string;
  /** Upper bound on encryptions so far (reserved blocks included). */
  readonly encryptions: number;
  readonly createdAt: number;
  readonly rotatedAt: number | undefined;
  readonly destroyedAt: number | undefined;
  /** The tenant key (`<provider>:<ref>`) under the node KEK's layer (I-K6), or undefined. */
  readonly tenantKek: string | undefined;
}

export function toDekInfo(row: DekRow): DekInfo {
  return {
    id: row.id,
    tenant: row.tenant,
    state: row.state,
    kekKind: row.kek_kind,
    encryptions: row.encryptions_reserved,
    createdAt: row.created_at,
    rotatedAt: row.rotated_at ?? undefined,
    destroyedAt: row.destroyed_at ?? undefined,
    tenantKek: row.tenant_kek_ref ?? undefined,
  };
}
