// Issue #11: stopping a node (the dev console's `stop node-i`, POST /api/dev/nodes/…/stop) or the whole dev
// cluster (Ctrl-C) drains in-flight HTTP requests — each gets a real answer — instead of cutting them.
// The request is made slow for certain: node-0's shard stages to its peers are held back while it is stopped.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ShardHolder } from '../../src/cluster/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';

/** Delays `node`'s shard stages to its peers by `ms` while `hold.on`; everything else passes straight through. */
function slowStagesFrom(node: string, hold: { on: boolean }, ms: number) {
  return (holder: ShardHolder, from: string): ShardHolder => ({
    nodeId: holder.nodeId,
    stage: async (request) => {
      if (from === node && hold.on) await new Promise((resolve) => setTimeout(resolve, ms));
      return holder.stage(request);
    },
    endorse: (request) => holder.endorse(request),
    contribute: (request) => holder.contribute(request),
    awaitApplied: (partition, offset, timeoutMs) => holder.awaitApplied(partition, offset, timeoutMs),
    read: (request) => holder.read(request),
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('stopping drains in-flight requests', () => {
  let test: TestCluster | undefined;
  afterEach(async () => {
    await test?.stop();
    test = undefined;
  });

  it('a node stopped while a write is in flight answers that write (201), then stops', async () => {
    const hold = { on: false };
    test = await startTestCluster({ nodes: 3, wrapPeer: slowStagesFrom('node-0', hold, 1200) });
    const url = test.urls[0] ?? '';
    hold.on = true;
    const write = v1.create(url, 'drain', 'in-flight', 'value-1');
    await pause(300); // the write is now waiting for its stages
    const stopped = test.cluster.stopNode('node-0');
    const answer = await write; // before the change: fetch failed (the socket was destroyed, no answer)
    await stopped;
    assert.equal(answer.status, 201, answer.body);
    assert.equal(test.cluster.nodes()[0]?.running, false);
    // The node is really stopped: no new connection is accepted.
    await assert.rejects(fetch(`${url}/livez`));
    hold.on = false;
    // And the write it answered is there, read through another node.
    const read = await v1.read(test.urls[1] ?? '', 'drain', 'in-flight');
    assert.equal(read.body, 'value-1');
  });

  it('stopping the whole dev cluster answers the request in flight', async () => {
    const hold = { on: false };
    test = await startTestCluster({ nodes: 3, wrapPeer: slowStagesFrom('node-0', hold, 800) });
    const url = test.urls[0] ?? '';
    hold.on = true;
    const write = v1.create(url, 'drain', 'whole-cluster', 'value-2');
    await pause(200);
    const started = Date.now();
    const stopped = test.cluster.stop();
    const answer = await write;
    await stopped;
    test = undefined;
    // A real HTTP answer (the write committed, or its peers were already closing: a 5xx with a body).
    assert.ok(answer.status >= 200 && answer.status < 600, `status ${answer.status}`);
    assert.ok(answer.body.length > 0);
    assert.ok(Date.now() - started < 10_000, 'the drain is bounded');
  });

  it('a node asked over HTTP to stop itself answers 202 first, then stops', async () => {
    test = await startTestCluster({ nodes: 3 });
    const root = await test.cluster.issueDevRootToken();
    const url = test.urls[0] ?? '';
    const response = await fetch(`${url}/api/dev/nodes/node-0/stop`, {
      method: 'POST',
      headers: { authorization: `Bearer ${root}` },
    });
    assert.equal(response.status, 202);
    const nodes = (await response.json()) as Array<{ nodeId: string; stopping?: boolean }>;
    assert.equal(nodes.find((node) => node.nodeId === 'node-0')?.stopping, true);
    const deadline = Date.now() + 10_000;
    while (test.cluster.nodes()[0]?.running && Date.now() < deadline) await pause(50);
    assert.equal(test.cluster.nodes()[0]?.running, false);
  });
});
