// Versioned schemas for the node database (issue #13: upgrades never lose data). Each context owns an ordered
// list of migrations for its own tables; the number applied is kept per context in `schema_versions`, and
// PRAGMA user_version holds the database's format as a whole. A database newer than this build is refused
// before anything is touched: an older binary must never misread, or "migrate", what a newer one wrote.
import type { DatabaseSync } from 'node:sqlite';
import { DsvError } from '../errors/index.ts';
import { inTransaction } from './node-database.ts';

/** One step: runs inside a transaction with the version bump, so a crash leaves the step whole or undone. */
export type Migration = (db: DatabaseSync) => void;

/**
 * The node database's format: the sum of every context's migrations (test/upgrade/schema-format.test.ts
 * checks it). Bump it with every migration added, and capture an upgrade fixture of the release before.
 */
export const NODE_DB_FORMAT = 11;

/** Refuses a database whose format is newer than this build's, then stamps it with this build's format. */
export function checkDatabaseFormat(db: DatabaseSync, path: string): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (row.user_version > NODE_DB_FORMAT)
    throw new DsvError(
      'DSV_DATA_DIR_NEWER',
      `${path} was written by a newer DSV (database format ${row.user_version}; this build reads up to ` +
        `${NODE_DB_FORMAT}). Run the newer release, or restore a backup made by this one.`,
    );
}

/** After every context migrated: the database is now this build's format. */
export function stampDatabaseFormat(db: DatabaseSync): void {
  db.exec(`PRAGMA user_version = ${NODE_DB_FORMAT}`);
}

/**
 * Brings `component`'s tables up to the last of `migrations`, in order. The first migration of every context
 * is its baseline, written to be idempotent: it also adopts a database from before versioning (version 0),
 * whatever of that baseline it already had.
 */
export function migrateSchema(db: DatabaseSync, component: string, migrations: readonly Migration[]): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID',
  );
  const current =
    (
      db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
        { version: number } | undefined
    )?.version ?? 0;
  if (current > migrations.length)
    throw new DsvError(
      'DSV_DATA_DIR_NEWER',
      `The ${component} tables were written by a newer DSV (schema ${current}; this build knows up to ` +
        `${migrations.length}). Run the newer release, or restore a backup made by this one.`,
    );
  for (let version = current; version < migrations.length; version++) {
    inTransaction(db, () => {
      migrations[version]?.(db);
      db.prepare(
        'INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version',
      ).run(component, version + 1);
    });
  }
}

/** The migrations applied per context, for status and tests. */
export function schemaVersions(db: DatabaseSync): Record<string, number> {
  const rows = db.prepare('SELECT component, version FROM schema_versions').all() as Array<{
    component: string;
    version: number;
  }>;
  return Object.fromEntries(rows.map((row) => [row.component, row.version]));
}

/** Adds a column unless it is there: for baselines that adopt databases from before versioning. */
export function addColumnIfMissing(db: DatabaseSync, table: string, column: string, type: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (!columns.some((row) => row.name === column))
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}
