// Node failures in a 3-node dev cluster (DESIGN §6–7, issue acceptance): one node down keeps reads working and
// triggers read repair; two down gives a stable 503; a restart restores shards and resurrects nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

describe('cluster failures (3 nodes, n=3 k=2 W=2)', () => {
  let test: TestCluster;
  const user = 'failures';

  before(async () => {
    test = await startTestCluster({ nodes: 3 });
  });
  after(async () => {
    await test?.stop();
  });

  const node = (i: number) => test.urls[i] ?? '';
  const shardCount = (nodeId: string) =>
    test.cluster.nodesById.get(nodeId)?.coordinator?.context.shards.counts().committed ?? -1;

  it('I-X3: one node down — reads succeed on the others, writes still reach W=2', async () => {
    assert.equal((await v1.create(node(0), user, 'one-down', 'v1-value')).status, 201);
    await test.cluster.stopNode('node-2');
    const read = await v1.read(node(1), user, 'one-down');
    assert.deepEqual([read.status, read.body], [200, 'v1-value']);
    const update = await v1.update(node(0), user, 'one-down', 'v2-value');
    assert.deepEqual([update.status, update.body], [200, 'Secret updated (version: 2)']);
    assert.equal((await v1.read(node(1), user, 'one-down')).body, 'v2-value');
  });

  it('I-C1: two nodes down — reads answer a stable 503 (never a guess), writes 503 too', async () => {
    await test.cluster.stopNode('node-1');
    for (let attempt = 0; attempt < 5; attempt++) {
      const read = await v1.read(node(0), user, 'one-down');
      assert.equal(read.status, 503);
      assert.deepEqual(JSON.parse(read.body), { message: 'Insufficient secret parts to reconstruct' });
      assert.equal(read.code, 'DSV_INSUFFICIENT_SHARDS');
    }
    // Membership must notice the peers are gone before writes fail fast; until then the stage quorum fails.
    await waitFor(
      async () => (await v1.create(node(0), user, `probe-${Date.now()}`, 'x')).status === 503,
      10_000,
    );
    const write = await v1.create(node(0), user, 'never-written', 'x');
    assert.equal(write.status, 503);
    assert.equal((await v1.update(node(0), user, 'one-down', 'lost?')).status, 503);
  });

  it('I-S6: restart — everything readable, missing shards recovered without a re-split, deleted secrets stay deleted', async () => {
    await test.cluster.startNode('node-1');
    // While node-2 is still down, delete a secret it holds shards of (n − k + 1 = 2 holders confirm).
    assert.equal((await v1.create(node(0), user, 'doomed', 'bye')).status, 201);
    assert.equal((await v1.remove(node(1), user, 'doomed')).status, 204);
    await test.cluster.startNode('node-2');
    // node-2 replays the delete: its shards of 'doomed' from before are destroyed, nothing resurrects.
    for (const i of [0, 1, 2]) {
      assert.equal((await v1.read(node(i), user, 'doomed')).status, 404);
      const read = await v1.read(node(i), user, 'one-down');
      assert.deepEqual([read.status, read.body], [200, 'v2-value']);
    }
    assert.equal((await v1.read(node(2), user, 'never-written')).status, 404);
    // Anti-entropy / read repair restore node-2's shard of version 2 (written while it was down).
    await waitFor(async () => {
      await v1.read(node(0), user, 'one-down');
      const coordinator = test.cluster.nodesById.get('node-2')?.coordinator;
      const key = { tenant: 'default', namespace: user, name: 'one-down' };
      const info = coordinator?.context.view.version(key, 2);
      return (
        info !== undefined &&
        coordinator?.context.shards.hasCommitted({ key, version: 2, writeId: info.writeId }) === true
      );
    }, 15_000);
    // With node-0 down, node-1 and node-2 alone (k = 2) must reconstruct: node-2's shard is really back.
    await test.cluster.stopNode('node-0');
    const read = await v1.read(node(1), user, 'one-down');
    assert.deepEqual([read.status, read.body], [200, 'v2-value']);
    assert.ok(shardCount('node-2') > 0);
    await test.cluster.startNode('node-0');
  });
});
