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
import { open, type FileHandle } from 'node:fs/promises';
import type { DatabaseSync } from 'node:sqlite';

export class WalSync {
  readonly #db: DatabaseSync;
  readonly #walPath: string | undefined;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #syncs = 0;
  #file: FileHandle | undefined;

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
    const file = await this.#walFile();
    if (file === undefined) {
      // No WAL file (an in-memory database, or none written yet): let SQLite make everything durable.
      this.#db.exec('PRAGMA wal_checkpoint(FULL)');
      return;
    }
    await file.datasync();
  }

  /**
   * The WAL file, opened once and kept: SQLite keeps the same file while the database is open (it truncates
   * and reuses it after checkpoints and deletes it only when the last connection closes), and a descriptor
   * opened before a failed writeback sees that error on its next fdatasync, where a fresh one would not.
   * Only a missing file falls back; any other failure to open rejects, so no receipt is signed on hope.
   */
  async #walFile(): Promise<FileHandle | undefined> {
    if (this.#walPath === undefined) return undefined;
    if (this.#file !== undefined) return this.#file;
    try {
      this.#file = await open(this.#walPath, constants.O_RDONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return this.#file;
  }

  /** Waits for syncs in progress and closes the descriptor (call before closing the database). */
  async close(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await this.#next?.catch(() => undefined);
    const file = this.#file;
    this.#file = undefined;
    await file?.close().catch(() => undefined);
  }
}
