// Group commit for the node database (issue #10, design 2026_12_02_performance §2). The database runs in WAL
// mode with synchronous=NORMAL: a COMMIT writes its frames to `<db>-wal` without an fsync, which is right for
// everything the log can rebuild (the view and the control view are functions of the log: I-V1, I-V2 — a
// crash loses at most a suffix of applied transactions, and the applied offset with them, so the node
// re-applies that suffix). What the log cannot rebuild — a staged shard a holder has signed a receipt for
// (I-X3), a recovered share — must be on disk before the node says so: those callers await `sync()`.
//
// `sync()` fdatasyncs the WAL file from its own descriptor, off the event loop. fsync is per file, not per
// descriptor, so it covers every frame SQLite wrote before the call; WAL frames carry cumulative checksums,
// so recovery keeps a prefix of transactions and never one without those before it. Concurrent callers share
// one sync: a caller that arrives while a sync runs waits for the next one, which starts after its write.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { DatabaseSync } from 'node:sqlite';

export class WalSync {
  readonly #db: DatabaseSync;
  readonly #walPath: string | undefined;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #syncs = 0;

  constructor(db: DatabaseSync) {
    this.#db = db;
    const path = db.location();
    this.#walPath = path === null ? undefined : `${path}-wal`;
  }

  /** fdatasyncs performed so far (the benchmark counts them per operation). */
  get syncs(): number {
    return this.#syncs;
  }

  /** Resolves once every transaction committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.#running === undefined) {
      this.#running = this.#syncNow().finally(() => (this.#running = undefined));
      return this.#running;
    }
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.sync();
      });
    return this.#next;
  }

  async #syncNow(): Promise<void> {
    this.#syncs += 1;
    // Opened per sync (one descriptor less to own and close; group commit makes this rare per request).
    const file =
      this.#walPath === undefined
        ? undefined
        : await open(this.#walPath, constants.O_RDONLY).catch(() => undefined);
    if (file === undefined) {
      // No WAL file to sync (an in-memory database, or none written yet): let SQLite make everything durable.
      this.#db.exec('PRAGMA wal_checkpoint(FULL)');
      return;
    }
    try {
      await file.datasync();
    } finally {
      await file.close();
    }
  }
}
