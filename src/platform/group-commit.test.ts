// Group commit (I-L2, I-A1): appends issued together share one write, none resolves before its batch is
// written, and a failed batch stops the queue with that failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvError } from '../errors/index.ts';
import { GroupCommit } from './group-commit.ts';

/** A queue over an in-memory "file": each write records its batch; `fail` makes the next write throw it. */
function queue(cap = 100) {
  const batches: number[][] = [];
  const state: { fail?: Error; gate?: Promise<void> } = {};
  const commit = new GroupCommit<number, string>({
    take: (queued) => {
      let count = 0;
      for (const item of queued) {
        if (count === cap) break;
        void item;
        count++;
      }
      return count;
    },
    write: async (batch) => {
      await state.gate;
      if (state.fail !== undefined) throw state.fail;
      batches.push([...batch]);
      return batch.map((item) => `done-${item}`);
    },
    unexpected: (cause) => new DsvError('DSV_INTERNAL', 'writer failed', { cause }),
  });
  return { commit, batches, state };
}

describe('GroupCommit', () => {
  it('appends issued together share one batch, and each gets its own result in order', async () => {
    const { commit, batches } = queue();
    const results = await Promise.all([1, 2, 3].map((item) => commit.append(item)));
    assert.deepEqual(results, ['done-1', 'done-2', 'done-3']);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  it('appends made while a batch is being written queue for the next one; `take` caps a batch', async () => {
    const { commit, batches, state } = queue(2);
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const first = [1, 2, 3].map((item) => commit.append(item));
    await new Promise((resolve) => setImmediate(resolve));
    const later = commit.append(4); // batch [1, 2] is being written now
    let settled = false;
    void first[0]!.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(settled, false, 'nothing resolves before its batch is written');
    open();
    assert.deepEqual(await Promise.all([...first, later]), ['done-1', 'done-2', 'done-3', 'done-4']);
    assert.deepEqual(batches, [
      [1, 2],
      [3, 4],
    ]);
    await commit.idle();
  });

  it('a failed batch refuses its appends, the queued ones and every later one with that failure', async () => {
    const { commit, batches, state } = queue(1);
    const failure = new DsvError('DSV_LOG_UNAVAILABLE', 'could not be written');
    state.fail = failure;
    const outcomes = await Promise.allSettled([1, 2].map((item) => commit.append(item)));
    assert.deepEqual(
      outcomes.map((outcome) =>
        outcome.status === 'rejected' ? (outcome.reason as unknown) : outcome.value,
      ),
      [failure, failure],
    );
    delete state.fail;
    await assert.rejects(commit.append(3), (error) => error === failure);
    assert.equal(commit.failure, failure);
    assert.deepEqual(batches, []);
  });

  it('anything but a DsvError from the writer is reported as the queue’s own failure, never left hanging', async () => {
    const { commit, state } = queue();
    state.fail = new TypeError('a bug');
    await assert.rejects(commit.append(1), { code: 'DSV_INTERNAL' });
    assert.equal(commit.failure?.code, 'DSV_INTERNAL');
    await commit.idle();
  });
});
