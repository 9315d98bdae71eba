// Calls made in the same turn of the event loop, sent together (issue #10: concurrent shard reads to one peer
// share one request). Unlike GroupCommit there is no order and no sticky failure: every batch stands alone,
// several may be in flight, and each item gets its own outcome, so one item's failure is only its own.

/** One item's outcome, as the sender reports it. */
export type Settled<Result> =
  { readonly ok: true; readonly value: Result } | { readonly ok: false; readonly error: unknown };

export interface TickBatcherOptions<Item, Result> {
  /** The most items one batch carries; more in the same turn go in further batches. */
  readonly maxBatch: number;
  /**
   * A bound on what one batch carries by size (`sizeOf` each item, at most `maxSize` together): an item that
   * would take a batch past it starts the next one, and an item over it alone goes alone.
   */
  readonly sizeOf?: (item: Item) => number;
  readonly maxSize?: number;
  /**
   * Sends one batch and answers one outcome per item, in order. If it throws, every item of the batch fails
   * with what it threw (a transport failure: nothing was answered).
   */
  readonly send: (batch: readonly Item[]) => Promise<readonly Settled<Result>[]>;
}

interface Queued<Item, Result> {
  readonly item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class TickBatcher<Item, Result> {
  readonly #options: TickBatcherOptions<Item, Result>;
  #queued: Queued<Item, Result>[] = [];

  constructor(options: TickBatcherOptions<Item, Result>) {
    if (!(options.maxBatch >= 1)) throw new RangeError('maxBatch must be at least 1');
    this.#options = options;
  }

  /** Queues `item` for this turn's batch; settles with its own outcome. */
  call(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#queued.push({ item, resolve, reject });
      // The first call of a turn schedules the flush; setImmediate runs after this turn's I/O callbacks,
      // so calls made by the same batch of resumed requests share it, and a lone call waits for nothing else.
      if (this.#queued.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const queued = this.#queued;
    this.#queued = [];
    const { maxBatch, sizeOf, maxSize = Infinity } = this.#options;
    let batch: Queued<Item, Result>[] = [];
    let size = 0;
    for (const entry of queued) {
      const itemSize = sizeOf ? sizeOf(entry.item) : 0;
      if (batch.length > 0 && (batch.length === maxBatch || size + itemSize > maxSize)) {
        void this.#send(batch);
        batch = [];
        size = 0;
      }
      batch.push(entry);
      size += itemSize;
    }
    if (batch.length > 0) void this.#send(batch);
  }

  async #send(batch: Queued<Item, Result>[]): Promise<void> {
    let outcomes: readonly Settled<Result>[];
    try {
      outcomes = await this.#options.send(batch.map((queued) => queued.item));
    } catch (error) {
      return batch.forEach((queued) => queued.reject(error));
    }
    batch.forEach((queued, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) queued.resolve(outcome.value);
      else
        queued.reject(outcome ? outcome.error : new Error('the batch answered fewer items than it was sent'));
    });
  }
}
