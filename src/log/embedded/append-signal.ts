// Wakes long-polling readers of one partition when records are appended (or the log closes).

export class AppendSignal {
  readonly #waiters = new Set<() => void>();

  /** Wakes every current waiter; they re-check what they were waiting for. */
  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves on the next `notify()` or after `ms`, whichever comes first; rejects with `signal.reason`
   * as soon as `signal` aborts, so a shutting-down consumer is never held for the full long-poll.
   */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
      };
      const wake = (): void => {
        done();
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason as Error);
      };
      // setTimeout treats anything above 2^31-1 ms as 1 ms; the caller re-waits for what is left.
      const timer = setTimeout(wake, Math.min(ms, 0x7fffffff));
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
