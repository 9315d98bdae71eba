// A bounded map of remembered answers: at its limit it starts over, so a miss only costs computing the answer
// again and memory stays bounded whatever keys callers send. The partition memo, the verdict memo and the
// committed-row memo keep their entries in one (kernel/placement.ts keeps its own map: the client library
// reaches it, and its leaves stay the few files client/boundary.test.ts names).
export class BoundedMemo<V> {
  readonly #entries = new Map<string, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.#entries.size >= this.#limit) this.#entries.clear();
    this.#entries.set(key, value);
  }

  /** The remembered answer for `key`, else `compute()`'s, remembered (for pure functions only). */
  getOrCompute(key: string, compute: () => V): V {
    if (this.#entries.has(key)) return this.#entries.get(key) as V;
    const value = compute();
    this.set(key, value);
    return value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
