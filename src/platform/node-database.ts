// Opens a node's one SQLite database (DESIGN §2): WAL with synchronous=NORMAL; what must be durable before an
// answer (a staged shard) is made so by WalSync's group commit (src/platform/wal-sync.ts).
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export function openNodeDatabase(path: string): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600)); // created 0600 before SQLite opens it; -wal/-shm follow its mode
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL: a COMMIT is ordered in the WAL but not synced. The view is rebuilt from the log after a crash
  // (I-V1, I-V2); a staged shard is synced by the holder before it signs its receipt (I-X3, WalSync).
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  return db;
}

/**
 * Runs `work` in one transaction: all of it commits or none of it does (I-V2). The one transaction idiom of
 * the node database: inside a caller's transaction (a keyring effect of a record the applier applies) it
 * nests as a savepoint, so a failure rolls back just `work` and the caller's transaction decides the rest.
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  const nested = db.isTransaction;
  db.exec(nested ? 'SAVEPOINT dsv_nested' : 'BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec(nested ? 'RELEASE dsv_nested' : 'COMMIT');
    return result;
  } catch (error) {
    if (nested) db.exec('ROLLBACK TO dsv_nested; RELEASE dsv_nested');
    else if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * Takes SQLite's exclusive lock on `db` and keeps it until the connection closes (an offline tool that must
 * not run beside a node: with it, the node cannot open the database, and it fails while the node has it open).
 */
export function holdExclusiveLock(db: DatabaseSync): void {
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  db.exec('BEGIN EXCLUSIVE');
  db.exec('COMMIT');
}
