// ProduceBatcher (issue #10): appends in flight together share a request per partition, offsets follow the
// queue order, a failing partition never makes another partition's records be sent twice, and an append
// abandoned while queued is never sent.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Producer } from '@platformatic/kafka';
import { ProduceBatcher } from './produce-batcher.ts';

interface Sent {
  readonly partition: number;
  readonly value: string;
}

/** A producer that stores what each request carries; `hold` keeps a partition's requests waiting. */
function fakeProducer(options: { failPartitions?: Set<number> } = {}) {
  const stored = new Map<number, string[]>();
  const requests: Sent[][] = [];
  const held: Array<() => void> = [];
  let holding = false;
  const producer = {
    send: async ({ messages }: { messages: Array<{ partition: number; value: Buffer }> }) => {
      const request = messages.map((message) => ({
        partition: message.partition,
        value: message.value.toString(),
      }));
      requests.push(request);
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      const partitions = new Set(request.map((message) => message.partition));
      for (const partition of partitions)
        if (options.failPartitions?.has(partition)) throw new Error(`leader of ${partition} failed`);
      const offsets = [...partitions].map((partition) => {
        const log = stored.get(partition) ?? [];
        const base = log.length;
        log.push(...request.filter((m) => m.partition === partition).map((m) => m.value));
        stored.set(partition, log);
        return { topic: 't', partition, offset: BigInt(base) };
      });
      return { offsets };
    },
  } as unknown as Producer;
  return {
    producer,
    stored,
    requests,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

const bytes = (text: string) => Buffer.from(text);

void describe('ProduceBatcher', () => {
  void it('sends appends that wait behind a request together, with offsets in queue order', async () => {
    const fake = fakeProducer();
    const batcher = new ProduceBatcher('t', () => fake.producer, 5000);
    fake.hold();
    const first = batcher.append(0, bytes(''), bytes('a'));
    const rest = ['b', 'c', 'd'].map((value) => batcher.append(0, bytes(''), bytes(value)));
    await new Promise((resolve) => setImmediate(resolve));
    fake.release();
    await first;
    fake.release();
    assert.deepEqual(await Promise.all(rest), [1, 2, 3]);
    assert.deepEqual(fake.stored.get(0), ['a', 'b', 'c', 'd']);
    assert.equal(fake.requests.length, 2); // 'a' alone, then b, c, d in one request
  });

  void it('keeps one request per partition, so a failing leader never duplicates another partition', async () => {
    const fake = fakeProducer({ failPartitions: new Set([1]) });
    const batcher = new ProduceBatcher('t', () => fake.producer, 5000);
    const results = await Promise.allSettled([
      batcher.append(0, bytes(''), bytes('x')),
      batcher.append(1, bytes(''), bytes('y')),
    ]);
    assert.equal(results[0]?.status, 'fulfilled');
    assert.equal(results[1]?.status, 'rejected');
    for (const request of fake.requests) assert.equal(new Set(request.map((m) => m.partition)).size, 1);
    assert.deepEqual(fake.stored.get(0), ['x']);
  });

  void it('never sends an append whose caller gave up while it was queued', async () => {
    const fake = fakeProducer();
    const batcher = new ProduceBatcher('t', () => fake.producer, 5000);
    fake.hold();
    const first = batcher.append(0, bytes(''), bytes('first'));
    const giveUp = new AbortController();
    const abandoned = batcher.append(0, bytes(''), bytes('abandoned'), giveUp.signal);
    giveUp.abort(new Error('deadline'));
    await assert.rejects(abandoned, /deadline/);
    fake.release();
    assert.equal(await first, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(fake.stored.get(0), ['first']);
  });
});
