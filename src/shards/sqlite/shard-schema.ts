// The `shards` table and its one migration: the share generation (proactive refresh, I-R1) joins the primary
// key, so a refreshed share can be staged beside the current one and the old one kept for a grace period.
import type { DatabaseSync } from 'node:sqlite';
import { migrateSchema, type Migration } from '../../platform/schema-migrations.ts';

const TABLE = (name: string): string => `
  CREATE TABLE ${name} (
    tenant     TEXT NOT NULL,
    namespace  TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    write_id   TEXT NOT NULL,
    idx        INTEGER NOT NULL,
    state      TEXT NOT NULL,
    sealed     BLOB NOT NULL,
    key_id     INTEGER,
    generation INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, namespace, name, version, write_id, generation)
  )`;

// A rowid table on purpose: WITHOUT ROWID rows holding a ~1 KiB envelope spill into an overflow page each
// (5.4 KB per version per node measured; docs/design/2026_11_22_proposed_scale.md).
const INDEXES = `
  CREATE INDEX IF NOT EXISTS shards_by_write ON shards (write_id);
  CREATE INDEX IF NOT EXISTS shards_by_key ON shards (tenant, key_id);`;

const OLD_COLUMNS = 'tenant, namespace, name, version, write_id, idx, state, sealed, key_id';

/**
 * Creates the table, or moves a data dir from before refresh to it: SQLite cannot change a primary key in
 * place (ALTER TABLE … ADD COLUMN would leave one row per write), so the rows are copied once into the new
 * table at generation 0. migrateSchema runs it in one transaction: a crash leaves the old table or the new one.
 */
function shardsWithGenerations(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(shards)').all() as Array<{ name: string }>;
  if (columns.length === 0) db.exec(TABLE('shards'));
  else if (!columns.some((column) => column.name === 'generation')) {
    db.exec(TABLE('shards_generations'));
    db.exec(
      `INSERT INTO shards_generations (${OLD_COLUMNS}, generation) SELECT ${OLD_COLUMNS}, 0 FROM shards`,
    );
    db.exec('DROP TABLE shards');
    db.exec('ALTER TABLE shards_generations RENAME TO shards');
  }
  db.exec(INDEXES);
}

/**
 * The shard table's migrations, in order (issue #13): append, never edit one that shipped. The first adopts
 * both a new database and one from before versioning (the layout of releases up to 764644f).
 */
const SHARD_MIGRATIONS: readonly Migration[] = [shardsWithGenerations];

export function migrateShards(db: DatabaseSync): void {
  migrateSchema(db, 'shards', SHARD_MIGRATIONS);
}
