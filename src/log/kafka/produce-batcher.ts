// Group commit for Kafka appends (issue #10): the idempotent producer keeps one produce request in flight, so
// appends sent one by one queue behind each other's round trip. Appends that arrive while a request is in
// flight go out together in the next one: one produce request, one acks=all wait, for all of them. Order is
// kept — within a partition the records of one request get consecutive offsets in queue order, and requests
// go one at a time — so an append still resolves only once its record is acknowledged (I-L2) and at the
// offset the log gave it.
import type { Producer } from '@platformatic/kafka';

/** A request stops growing here (bytes of keys and values); a single larger record goes alone. */
const MAX_BATCH_BYTES = 1024 * 1024;
const MAX_BATCH_RECORDS = 256;

interface PendingAppend {
  readonly partition: number;
  readonly key: Buffer;
  readonly value: Buffer;
  resolve(offset: number): void;
  reject(error: unknown): void;
}

export class ProduceBatcher {
  readonly #topic: string;
  readonly #producer: () => Producer;
  readonly #requestTimeoutMs: number;
  #queue: PendingAppend[] = [];
  #inFlight = false;

  /** `producer` is asked at each request: a renewed producer takes over from the next request on. */
  constructor(topic: string, producer: () => Producer, requestTimeoutMs: number) {
    this.#topic = topic;
    this.#producer = producer;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /** Resolves with the record's offset once the brokers acknowledged it; rejects with the request's error. */
  append(partition: number, key: Buffer, value: Buffer): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ partition, key, value, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    if (this.#inFlight || this.#queue.length === 0) return;
    this.#inFlight = true;
    const batch = this.#take();
    void this.#send(batch).finally(() => {
      this.#inFlight = false;
      this.#next();
    });
  }

  #take(): PendingAppend[] {
    let bytes = 0;
    let count = 0;
    for (const pending of this.#queue) {
      const size = pending.key.length + pending.value.length;
      if (count > 0 && (bytes + size > MAX_BATCH_BYTES || count >= MAX_BATCH_RECORDS)) break;
      bytes += size;
      count += 1;
    }
    return this.#queue.splice(0, count);
  }

  async #send(batch: readonly PendingAppend[]): Promise<void> {
    try {
      const sending = this.#producer().send({
        messages: batch.map(({ partition, key, value }) => ({ topic: this.#topic, partition, key, value })),
      });
      const result = await withTimeout(sending, this.#requestTimeoutMs);
      const bases = new Map<number, number>();
      for (const answer of result.offsets ?? []) bases.set(answer.partition, Number(answer.offset));
      const next = new Map<number, number>();
      for (const pending of batch) {
        const base = bases.get(pending.partition);
        if (base === undefined) {
          pending.reject(new Error('the broker answered without an offset'));
          continue;
        }
        const index = next.get(pending.partition) ?? 0;
        next.set(pending.partition, index + 1);
        pending.resolve(base + index);
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
