// The fault-injection seams themselves: a seed fixes the fates, a lost ack still reaches the peer, and the
// node schedule never has two nodes down and always restarts what it stopped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDsvError } from '../../errors/index.ts';
import type { ShardHolder, StageRequest } from '../shard-holder.ts';
import { FaultInjectingShardHolder, peerFaultInjector } from './fault-injecting-shard-holder.ts';
import { runNodeFaults } from './node-fault-schedule.ts';
import { seededRandom } from './seeded-random.ts';

/** A holder that only counts what reached it (the decorator is under test, not the holder). */
function countingHolder(nodeId: string): ShardHolder & { staged: number } {
  const holder = {
    nodeId,
    staged: 0,
    stage: async () => {
      holder.staged++;
      return [];
    },
    read: async () => undefined,
    endorse: async () => '',
    contribute: async () => new Uint8Array(),
    awaitApplied: async () => undefined,
  };
  return holder;
}

const request: StageRequest = { tenant: 't', partition: 0, minOffset: 0, shards: [] };
const rates = { dropBefore: 0.2, dropAfter: 0.2, delay: 0, maxDelayMs: 0 };

async function fates(seed: number, calls: number): Promise<{ fates: string[]; reached: number }> {
  const inner = countingHolder('node-1');
  const holder = new FaultInjectingShardHolder(inner, { random: seededRandom(seed), rates });
  const fates: string[] = [];
  for (let i = 0; i < calls; i++) {
    fates.push(
      await holder.stage(request).then(
        () => 'ok',
        (error: unknown) => (isDsvError(error) ? error.code : 'other'),
      ),
    );
  }
  return { fates, reached: inner.staged };
}

describe('seeded fault injection', () => {
  it('the same seed gives the same sequence of fates; another seed a different one', async () => {
    const a = await fates(42, 200);
    assert.deepEqual(a, await fates(42, 200));
    assert.notDeepEqual(a.fates, (await fates(43, 200)).fates);
    assert.ok(a.fates.includes('DSV_NODE_UNAVAILABLE') && a.fates.includes('ok'));
  });

  it('a dropped-after call reached the peer (the lost ack); a dropped-before one did not', async () => {
    const { fates: outcomes, reached } = await fates(7, 400);
    const failed = outcomes.filter((fate) => fate !== 'ok').length;
    const ok = outcomes.length - failed;
    // About half the failures were lost acks: the peer saw more calls than succeeded, and fewer than all.
    assert.ok(reached > ok && reached < outcomes.length, `reached ${reached}, ok ${ok}, failed ${failed}`);
  });

  it('turned off, every call is forwarded; turned on, some are dropped', async () => {
    let on = false;
    const injector = peerFaultInjector({ random: seededRandom(1), rates, active: () => on });
    const holder = injector.wrapPeer(countingHolder('node-2'), 'node-0');
    for (let i = 0; i < 50; i++) await holder.stage(request);
    assert.equal(injector.stats.forwarded, 50);
    on = true;
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => holder.stage(request)));
    assert.ok(results.some((result) => result.status === 'rejected'));
  });

  it('the node schedule keeps at most one node down and restarts every node it stopped', async () => {
    const down = new Set<string>();
    let most = 0;
    const controller = new AbortController();
    const run = runNodeFaults(
      {
        random: seededRandom(5),
        nodeIds: ['a', 'b', 'c'],
        stop: async (id) => {
          down.add(id);
          most = Math.max(most, down.size);
        },
        start: async (id) => {
          down.delete(id);
        },
        upMs: [1, 5],
        downMs: [1, 5],
      },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 150);
    const events = await run;
    assert.ok(events.length >= 4, `${events.length} events`);
    assert.equal(most, 1);
    assert.equal(down.size, 0);
  });
});
