// The keyring's tables in the node database (prefix keys_): wrapped DEKs only, never unwrapped ones (I-K1).
import type { DatabaseSync } from 'node:sqlite';
import type { DekState } from './data-key.ts';

export function migrateKeyring(db: DatabaseSync): void {
  // AUTOINCREMENT: a key id is never reused, so an old envelope can never name a newer tenant's key.
  db.exec(`
    CREATE TABLE IF NOT EXISTS keys_deks (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      tenant TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('active', 'retired', 'destroyed')),
      kek_kind TEXT NOT NULL,
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
}

export interface DekRow {
  readonly id: number;
  readonly tenant: string;
  readonly state: DekState;
  readonly kek_kind: string;
  readonly wrapped: Uint8Array;
  readonly binding: Uint8Array;
  readonly encryptions_reserved: number;
  readonly created_at: number;
  readonly rotated_at: number | null;
  readonly destroyed_at: number | null;
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
  };
}

/** Runs `work` atomically, nesting inside a caller's transaction if one is open (SAVEPOINT, not BEGIN). */
export function atomically<T>(db: DatabaseSync, work: () => T): T {
  db.exec('SAVEPOINT keys_tx');
  try {
    const result = work();
    db.exec('RELEASE keys_tx');
    return result;
  } catch (error) {
    db.exec('ROLLBACK TO keys_tx');
    db.exec('RELEASE keys_tx');
    throw error;
  }
}
