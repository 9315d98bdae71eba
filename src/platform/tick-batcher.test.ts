// TickBatcher (issue #10): calls of one turn share one send; each call gets its own outcome; a failed send
// fails its own batch only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TickBatcher, type Settled } from './tick-batcher.ts';

function recorder(answer: (batch: readonly number[]) => readonly Settled<string>[] | Promise<never>) {
  const sent: number[][] = [];
  const batcher = new TickBatcher<number, string>({
    maxBatch: 3,
    send: async (batch) => {
      sent.push([...batch]);
      return answer(batch);
    },
  });
  return { sent, batcher };
}

const echo = (batch: readonly number[]): Settled<string>[] =>
  batch.map((item) =>
    item < 0 ? { ok: false, error: new Error(`refused ${item}`) } : { ok: true, value: `v${item}` },
  );

test('calls of one turn go in one send, in order; a later turn sends its own', async () => {
  const { sent, batcher } = recorder(echo);
  const first = await Promise.all([batcher.call(1), batcher.call(2)]);
  const second = await batcher.call(3);
  assert.deepEqual(first, ['v1', 'v2']);
  assert.equal(second, 'v3');
  assert.deepEqual(sent, [[1, 2], [3]]);
});

test('more calls than maxBatch in one turn are split into batches of at most maxBatch', async () => {
  const { sent, batcher } = recorder(echo);
  const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((item) => batcher.call(item)));
  assert.deepEqual(answers, ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']);
  assert.deepEqual(sent, [[1, 2, 3], [4, 5, 6], [7]]);
});

test('each call settles with its own outcome: one refusal touches no other item', async () => {
  const { batcher } = recorder(echo);
  const outcomes = await Promise.allSettled([batcher.call(1), batcher.call(-2), batcher.call(3)]);
  assert.deepEqual(
    outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : String(outcome.reason))),
    ['v1', 'Error: refused -2', 'v3'],
  );
});

test('a send that throws fails every item of its batch, and only that batch', async () => {
  let calls = 0;
  const batcher = new TickBatcher<number, string>({
    maxBatch: 2,
    send: async (batch) => {
      calls += 1;
      if (batch.includes(1)) throw new Error('connection refused');
      return echo(batch);
    },
  });
  const outcomes = await Promise.allSettled([1, 2, 3].map((item) => batcher.call(item)));
  assert.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ['rejected', 'rejected', 'fulfilled'],
  );
  assert.equal(calls, 2);
  assert.equal(await batcher.call(4), 'v4', 'the batcher keeps working after a failed send');
});

test('a send that answers fewer items than it was sent fails the unanswered ones', async () => {
  const { batcher } = recorder((batch) => echo(batch.slice(0, 1)));
  const outcomes = await Promise.allSettled([batcher.call(1), batcher.call(2)]);
  assert.equal(outcomes[0]?.status, 'fulfilled');
  assert.equal(outcomes[1]?.status, 'rejected');
});

test('a size budget splits a turn by size too; an item over the budget goes alone', async () => {
  const sent: number[][] = [];
  const batcher = new TickBatcher<number, string>({
    maxBatch: 10,
    sizeOf: (item) => item,
    maxSize: 10,
    send: async (batch) => {
      sent.push([...batch]);
      return echo(batch);
    },
  });
  await Promise.all([4, 5, 2, 12, 3, 3, 3, 1].map((item) => batcher.call(item)));
  assert.deepEqual(sent, [[4, 5], [2], [12], [3, 3, 3, 1]]);
});

test('maxBatch below 1 is refused', () => {
  assert.throws(() => new TickBatcher({ maxBatch: 0, send: async () => [] }), RangeError);
});
