// Runs async work one at a time per key (here: per tenant), so concurrent first uses create one DEK, not many.

export class KeyQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` after every earlier job for `key` has settled; rejects with its error, if any. */
  async run(key: string, work: () => Promise<void>): Promise<void> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, settled);
    try {
      await mine;
    } finally {
      if (this.#tails.get(key) === settled) this.#tails.delete(key);
    }
  }
}
