// A read-through memo of rows a store has committed, to spare the hot path a SQLite lookup per request
// (issue #10: token, tenant and node checks ran several times per read). It never changes an answer:
// - a value is remembered only when no transaction is open on the database, so a row an apply transaction
//   wrote (and might still roll back) is never remembered;
// - every writer of a memoised row calls `forget` or `clear` before it writes, in the same synchronous turn;
// - one connection per node database (node-database.ts): no other writer can change a row behind the memo.
import type { DatabaseSync } from 'node:sqlite';
import { BoundedMemo } from '../kernel/bounded-memo.ts';

export interface CommittedMemoOptions {
  /** Entries kept at most; at the limit the memo starts over (a lookup costs one SQLite read again). */
  readonly limit?: number;
  /**
   * Whether "no row" is remembered too. Off where the key is caller-chosen (a presented token's verifier),
   * so random keys cannot churn the memo.
   */
  readonly keepMissing?: boolean;
}

export class CommittedMemo<V> {
  readonly #db: DatabaseSync;
  readonly #entries: BoundedMemo<V>;
  readonly #keepMissing: boolean;

  constructor(db: DatabaseSync, options: CommittedMemoOptions = {}) {
    this.#db = db;
    this.#entries = new BoundedMemo(options.limit ?? 4096);
    this.#keepMissing = options.keepMissing ?? true;
  }

  /** The remembered value of `key`, else `load()`'s, remembered if committed. Values are shared: never mutate. */
  get(key: string, load: () => V): V {
    const hit = this.#entries.get(key);
    if (hit !== undefined || this.#entries.has(key)) return hit as V;
    const value = load();
    if (this.#db.isTransaction || (value === undefined && !this.#keepMissing)) return value;
    this.#entries.set(key, value);
    return value;
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
