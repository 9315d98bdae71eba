// One look-up shared by every caller that asked before it started (issue #10: a strong read asks the log for
// its end offset; at 32 concurrent reads on Kafka that was one ListOffsets round trip per read).
//
// Linearizability is kept: a caller gets the answer of a look-up that STARTED AFTER its call, so anything
// acknowledged before the call is covered (read-your-writes on any node, DESIGN §7.1). A caller that arrives
// while a look-up is running cannot use it (it may have been sent before the caller's write was acknowledged);
// it joins the next one, which starts as soon as the running one ends, together with everyone else who
// arrived meanwhile. So per key one look-up runs and at most one waits to start, and a caller waits at most
// for the end of the running one plus its own.
export class FreshLookup<K, V> {
  readonly #lookup: (key: K) => Promise<V>;
  readonly #running = new Map<K, Promise<V>>();
  readonly #queued = new Map<K, Promise<V>>();

  constructor(lookup: (key: K) => Promise<V>) {
    this.#lookup = lookup;
  }

  get(key: K): Promise<V> {
    const queued = this.#queued.get(key);
    if (queued) return queued; // starts after the running one ends, so after this call
    const running = this.#running.get(key);
    if (!running) return this.#start(key);
    const next = running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.#queued.delete(key);
        return this.#start(key);
      });
    this.#queued.set(key, next);
    return next;
  }

  #start(key: K): Promise<V> {
    const started = this.#lookup(key);
    this.#running.set(key, started);
    const done = (): void => {
      if (this.#running.get(key) === started) this.#running.delete(key);
    };
    started.then(done, done);
    return started;
  }
}
