// The view's tables: each node's materialised metadata, a pure function of the log prefix (I-V1).
import type { DatabaseSync } from 'node:sqlite';

export function migrateView(db: DatabaseSync): void {
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
  // Client-side mode (issue #9): the accessor whose client stages a write's shards itself.
  addColumn(db, 'view_writes', 'stager', 'TEXT');
}

export function addColumn(db: DatabaseSync, table: string, column: string, type: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (!columns.some((row) => row.name === column))
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}
