// The client-side stage without a cluster (shard-stager.ts): one call per holder with all of its shards, each
// share opening its commitment, and receipts gathered until every key has W of them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitmentMatches, reconstructSecret } from '../src/sharing/index.ts';
import { DsvClientError } from './client-error.ts';
import { gatherReceipts, stageCalls, type StageCall } from './shard-stager.ts';
import type { Receipt } from './wire.ts';

const context = { tenant: 't', partition: 0, minOffset: 5, writeId: 'w-9', n: 3, k: 2, w: 2 };
const holders = (offset: number) =>
  [0, 1, 2].map((index) => ({
    index,
    nodeId: `node-${(index + offset) % 3}`,
    url: `http://n${(index + offset) % 3}`,
  }));
const targets = [
  { namespace: 'app', name: 'a', version: 1, holders: holders(0), value: new TextEncoder().encode('alpha') },
  { namespace: 'app', name: 'b', version: 4, holders: holders(1), value: new TextEncoder().encode('beta') },
];

const receiptsOf = (call: StageCall): Receipt[] =>
  call.shards.map((shard) => ({ ...shard, node: call.holder.nodeId, receipt: 'signed' }));

describe('client-side stage', () => {
  it('one call per holder with each of its shards; every share opens its commitment; k of them give the value', () => {
    const calls = stageCalls(context, targets);
    assert.deepEqual(calls.map((call) => call.holder.nodeId).sort(), ['node-0', 'node-1', 'node-2']);
    for (const target of targets) {
      const identity = {
        tenant: 't',
        namespace: target.namespace,
        name: target.name,
        version: target.version,
      };
      const shards = calls.flatMap((call) => call.shards.filter((shard) => shard.name === target.name));
      assert.equal(shards.length, 3);
      const shares = shards.map((shard) => {
        const share = new Uint8Array(Buffer.from(shard.share, 'base64'));
        const blinding = new Uint8Array(Buffer.from(shard.blinding, 'base64'));
        assert.ok(
          commitmentMatches(shard.commitment, identity, context.writeId, shard.index, blinding, share),
        );
        return { x: shard.index + 1, y: share };
      });
      assert.deepEqual(reconstructSecret(identity, shares.slice(1), 2), target.value);
    }
    const node1 = calls.find((call) => call.holder.nodeId === 'node-1');
    assert.deepEqual(
      node1?.shards.map((shard) => [shard.name, shard.index]),
      [
        ['a', 1],
        ['b', 0],
      ],
    );
  });

  it('resolves once every key has W receipts, with the stragglers that arrive within the grace', async () => {
    const calls = stageCalls(context, targets);
    const slow = calls[2]?.holder.nodeId;
    const gather = (delayMs: number, graceMs: number) =>
      gatherReceipts(
        calls,
        2,
        async (call) => {
          if (call.holder.nodeId === slow) await new Promise((resolve) => setTimeout(resolve, delayMs));
          return receiptsOf(call);
        },
        graceMs,
      );
    assert.equal((await gather(20, 200)).length, 6);
    assert.equal((await gather(400, 10)).length, 4, 'committed without the straggler');
  });

  it('counts only receipts for shards the call sent; too few is 503 DSV_WRITE_QUORUM_FAILED', async () => {
    const calls = stageCalls(context, targets);
    const forged = gatherReceipts(
      calls,
      2,
      async (call) => receiptsOf(call).map((receipt) => ({ ...receipt, commitment: 'other' })),
      10,
    );
    await assert.rejects(forged, (error: DsvClientError) => error.code === 'DSV_WRITE_QUORUM_FAILED');
    const down = gatherReceipts(
      calls,
      2,
      async (call) => {
        if (call.holder.nodeId !== 'node-0') throw new DsvClientError('DSV_NODE_UNAVAILABLE');
        return receiptsOf(call);
      },
      10,
    );
    await assert.rejects(down, (error: DsvClientError) => error.code === 'DSV_WRITE_QUORUM_FAILED');
  });

  it('holders refusing alike give that refusal (a stage by another accessor: 403)', async () => {
    const calls = stageCalls(context, targets);
    const refused = gatherReceipts(
      calls,
      2,
      async () => {
        throw new DsvClientError('DSV_PEER_REJECTED', 'Not the stager of this write', { status: 403 });
      },
      10,
    );
    await assert.rejects(
      refused,
      (error: DsvClientError) => error.status === 403 && error.code === 'DSV_PEER_REJECTED',
    );
  });

  it('nothing to stage (every update unchanged) resolves with no receipts', async () => {
    assert.deepEqual(await gatherReceipts([], 2, async () => assert.fail('no call'), 10), []);
  });
});
