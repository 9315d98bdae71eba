// Opens a node's one SQLite database (DESIGN §2): WAL, full fsync, so a staged shard is durable before ack.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export function openNodeDatabase(path: string): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600)); // created 0600 before SQLite opens it; -wal/-shm follow its mode
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  // FULL: a transaction is on disk when COMMIT returns (I-L2-like promise for staged shards, DESIGN §6.4).
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  return db;
}

/** Runs `work` in one transaction: all of it commits or none of it does (I-V2). */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
