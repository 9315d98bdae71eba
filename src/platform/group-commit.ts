// Group commit for an append-only file (the embedded log's partitions, I-L2; the audit trail, I-A1): appends
// queue while one batch is written and synced, so n appends issued together cost one synced write (O_DSYNC),
// and none resolves before its batch is on disk. After a failed batch the file's state is unknown, so the
// queue refuses every later append with that failure until its owner is reopened (recovery re-checks the
// file); the owner's `write` is where it tries to take the torn bytes back.
import { DsvError } from '../errors/index.ts';

interface Queued<Item, Result> {
  readonly item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions<Item, Result> {
  /** How many of the queued items (at least one) go in the next batch: a cap on its size. May stop early. */
  readonly take: (queued: Iterable<Item>) => number;
  /**
   * Writes and syncs one batch, answering one result per item, in order. A `DsvError` it throws is the
   * failure every item of the batch, and every later append, is refused with.
   */
  readonly write: (batch: readonly Item[]) => Promise<readonly Result[]>;
  /** The failure to report when `write` threw anything but a DsvError (a bug: no append may hang on it). */
  readonly unexpected: (cause: unknown) => DsvError;
}

export class GroupCommit<Item, Result> {
  readonly #options: GroupCommitOptions<Item, Result>;
  #queued: Queued<Item, Result>[] = [];
  #writing = false;
  #drained: Promise<void> = Promise.resolve();
  #failure: DsvError | undefined;

  constructor(options: GroupCommitOptions<Item, Result>) {
    this.#options = options;
  }

  /** The failure that stopped this queue, if one did. */
  get failure(): DsvError | undefined {
    return this.#failure;
  }

  /** Queues `item` for the next batch; resolves with its result once the batch is on disk. */
  append(item: Item): Promise<Result> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<Result>((resolve, reject) => {
      this.#queued.push({ item, resolve, reject });
      if (this.#writing) return;
      this.#writing = true;
      // One turn of the event loop first, so appends issued together share the first batch as well.
      this.#drained = new Promise<void>((done) => setImmediate(done)).then(() => this.#drain());
    });
  }

  /** Resolves once every queued append has been written (or refused). */
  async idle(): Promise<void> {
    while (this.#writing) await this.#drained;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queued.length > 0) {
        const count = Math.max(1, this.#options.take(this.#items()));
        await this.#commit(this.#queued.splice(0, count));
      }
    } finally {
      this.#writing = false;
    }
  }

  *#items(): Iterable<Item> {
    for (const queued of this.#queued) yield queued.item;
  }

  async #commit(batch: Queued<Item, Result>[]): Promise<void> {
    if (this.#failure !== undefined) return batch.forEach((queued) => queued.reject(this.#failure));
    let results: readonly Result[];
    try {
      results = await this.#options.write(batch.map((queued) => queued.item));
    } catch (cause) {
      this.#failure = cause instanceof DsvError ? cause : this.#options.unexpected(cause);
      return batch.forEach((queued) => queued.reject(this.#failure));
    }
    batch.forEach((queued, index) => queued.resolve(results[index] as Result));
  }
}
