// The view's tables: each node's materialised metadata, a pure function of the log prefix (I-V1).
import type { DatabaseSync } from 'node:sqlite';
import { addColumnIfMissing, migrateSchema, type Migration } from '../platform/schema-migrations.ts';

function viewBaseline(db: DatabaseSync): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS view_applied (
      partition   INTEGER PRIMARY KEY,
      next_offset INTEGER NOT NULL,
      log_time    INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS view_keys (
      tenant          TEXT NOT NULL,
      namespace       TEXT NOT NULL,
      name            TEXT NOT NULL,
      latest_version  INTEGER NOT NULL DEFAULT 0,
      live            INTEGER NOT NULL DEFAULT 0,
      pending_write   TEXT,
      last_valid_from INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (tenant, namespace, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_versions (
      tenant     TEXT NOT NULL,
      namespace  TEXT NOT NULL,
      name       TEXT NOT NULL,
      version    INTEGER NOT NULL,
      write_id   TEXT NOT NULL,
      valid_from INTEGER NOT NULL,
      valid_to   INTEGER,
      holders    TEXT NOT NULL,
      PRIMARY KEY (tenant, namespace, name, version)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_writes (
      write_id      TEXT PRIMARY KEY,
      partition     INTEGER NOT NULL,
      tenant        TEXT NOT NULL,
      kind          TEXT NOT NULL,
      state         TEXT NOT NULL,
      intent_offset INTEGER NOT NULL,
      intent_time   INTEGER NOT NULL,
      plan          TEXT NOT NULL,
      outcome       TEXT,
      target        TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS view_writes_pending ON view_writes (partition, state, intent_time);
    CREATE INDEX IF NOT EXISTS view_writes_repairs ON view_writes (tenant, target) WHERE target IS NOT NULL;
    CREATE TABLE IF NOT EXISTS view_tenants (
      tenant        TEXT PRIMARY KEY,
      key_epoch     INTEGER NOT NULL DEFAULT 0,
      shredded_at   INTEGER,
      quota         TEXT
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_idempotency (
      tenant   TEXT NOT NULL,
      idem_key TEXT NOT NULL,
      write_id TEXT NOT NULL,
      PRIMARY KEY (tenant, idem_key)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_applied_rids (
      rid TEXT PRIMARY KEY
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_revoked_nodes (
      partition  INTEGER NOT NULL,
      node_id    TEXT NOT NULL,
      revoked_at INTEGER NOT NULL,
      PRIMARY KEY (partition, node_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_holds (
      hold_id         TEXT PRIMARY KEY,
      tenant          TEXT NOT NULL,
      namespace       TEXT,
      name            TEXT,
      reason          TEXT NOT NULL,
      placed_by       TEXT NOT NULL,
      placed_at       INTEGER NOT NULL,
      placed_offset   INTEGER NOT NULL,
      expires_at      INTEGER,
      released_at     INTEGER,
      released_by     TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS view_holds_tenant ON view_holds (tenant, released_at);
    CREATE TABLE IF NOT EXISTS view_rejected_records (
      reason TEXT PRIMARY KEY,
      count  INTEGER NOT NULL
    ) WITHOUT ROWID;
  `);
  // Trust boundaries (design 2026-12-02): each shard's hiding commitment, and who coordinates a write.
  addColumn(db, 'view_versions', 'commitments', 'TEXT');
  addColumn(db, 'view_writes', 'coordinator', 'TEXT');
}

/** Client-side mode (issue #9): the accessor whose client stages a write's shards itself. */
function clientSideStager(db: DatabaseSync): void {
  addColumn(db, 'view_writes', 'stager', 'TEXT');
}

/** Proactive refresh (issue #9): refresh sessions, and which generation of a version's shares is current. */
function shareGenerations(db: DatabaseSync): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS view_refreshes (
      session      TEXT NOT NULL,
      partition    INTEGER NOT NULL,
      start_offset INTEGER NOT NULL,
      tenant       TEXT NOT NULL,
      namespace    TEXT NOT NULL,
      name         TEXT NOT NULL,
      version      INTEGER NOT NULL,
      write_id     TEXT NOT NULL,
      generation   INTEGER NOT NULL,
      participants TEXT NOT NULL,
      refresher    TEXT NOT NULL,
      state        TEXT NOT NULL,
      started_at   INTEGER NOT NULL,
      finished_at  INTEGER,
      reason       TEXT,
      PRIMARY KEY (partition, session)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS view_refreshes_version ON view_refreshes (tenant, namespace, name, version, state);
    CREATE INDEX IF NOT EXISTS view_refreshes_pending ON view_refreshes (partition, state, started_at);
    CREATE INDEX IF NOT EXISTS view_refreshes_started ON view_refreshes (tenant, started_at);
  `);
  addColumn(db, 'view_versions', 'generation', 'INTEGER NOT NULL DEFAULT 0');
  addColumn(db, 'view_versions', 'refreshed_at', 'INTEGER');
}

/** Tenant-held keys (I-K6): the key each tenant registered in its own KMS, and whether DSV revoked it. */
function tenantKeys(db: DatabaseSync): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS view_tenant_keys (
      tenant      TEXT PRIMARY KEY,
      provider    TEXT NOT NULL,
      key_ref     TEXT NOT NULL,
      set_at      INTEGER NOT NULL,
      set_by      TEXT NOT NULL,
      set_offset  INTEGER NOT NULL,
      revoked_at  INTEGER,
      revoked_by  TEXT
    ) WITHOUT ROWID;
  `);
}

/**
 * The view's migrations, in order (issue #13). Never edit or reorder one that shipped: append. The view is
 * rebuildable from the log (I-V1), but a node replays only from its stored offset, so its tables are migrated
 * in place like any other. The first is the baseline, idempotent, adopting databases from before versioning.
 */
const VIEW_MIGRATIONS: readonly Migration[] = [viewBaseline, clientSideStager, shareGenerations, tenantKeys];

export function migrateView(db: DatabaseSync): void {
  migrateSchema(db, 'view', VIEW_MIGRATIONS);
}

const addColumn = addColumnIfMissing;
