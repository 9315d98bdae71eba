// Group commit for Kafka appends (issue #10): appends sent one by one queue behind each other's round trip.
// Appends to a partition that arrive while a request for it is in flight go out together in its next one:
// one produce request, one acks=all wait, for all of them. One queue and one request in flight per
// partition: a request then has one destination (the partition's leader), so it succeeds or fails whole —
// no record of a failed batch was stored by a healthy leader and then sent again (review of #10) — and a
// slow partition holds up only its own appends. Within a partition the records of one request get
// consecutive offsets in queue order, so an append resolves only once its record is acknowledged (I-L2),
// at the offset the log gave it. An append whose caller gave up while it was still queued is never sent.
import type { Producer } from '@platformatic/kafka';
import { withTimeout } from '../../platform/with-timeout.ts';

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
  readonly #queues = new Map<number, PendingAppend[]>();
  readonly #inFlight = new Set<number>();

  /** `producer` is asked at each request: a renewed producer takes over from the next request on. */
  constructor(topic: string, producer: () => Producer, requestTimeoutMs: number) {
    this.#topic = topic;
    this.#producer = producer;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /**
   * Resolves with the record's offset once the brokers acknowledged it; rejects with the request's error, or
   * with `signal`'s reason if it aborts while the record is still queued (it is then never sent).
   */
  append(partition: number, key: Buffer, value: Buffer, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const queue = this.#queues.get(partition) ?? [];
      const pending: PendingAppend = { partition, key, value, resolve, reject };
      queue.push(pending);
      this.#queues.set(partition, queue);
      signal?.addEventListener(
        'abort',
        () => {
          const at = queue.indexOf(pending);
          if (at < 0) return; // already sent: its request decides
          queue.splice(at, 1);
          reject(signal.reason as Error);
        },
        { once: true },
      );
      this.#next(partition);
    });
  }

  #next(partition: number): void {
    const queue = this.#queues.get(partition);
    if (this.#inFlight.has(partition) || queue === undefined || queue.length === 0) return;
    this.#inFlight.add(partition);
    const batch = take(queue);
    void this.#send(batch).finally(() => {
      this.#inFlight.delete(partition);
      this.#next(partition);
    });
  }

  async #send(batch: readonly PendingAppend[]): Promise<void> {
    try {
      const sending = this.#producer().send({
        messages: batch.map(({ partition, key, value }) => ({ topic: this.#topic, partition, key, value })),
      });
      const result = await withTimeout(sending, this.#requestTimeoutMs, 'acknowledgement');
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

/** The head of a partition's queue, up to the batch bounds (a single larger record goes alone). */
function take(queue: PendingAppend[]): PendingAppend[] {
  let bytes = 0;
  let count = 0;
  for (const pending of queue) {
    const size = pending.key.length + pending.value.length;
    if (count > 0 && (bytes + size > MAX_BATCH_BYTES || count >= MAX_BATCH_RECORDS)) break;
    bytes += size;
    count += 1;
  }
  return queue.splice(0, count);
}
