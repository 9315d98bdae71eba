// I-G1 on the peer API: a caller without the cluster's peer credentials is refused before any shard is touched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/dev-cluster.ts';
import { v1 } from './support/v1-client.ts';

describe('peer API authentication', () => {
  let test: TestCluster;
  let peerUrl = '';

  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    peerUrl = test.cluster.nodesById.get('node-1')?.config.members[1]?.peerUrl ?? '';
  });
  after(async () => {
    await test?.stop();
  });

  const shardRows = () => test.cluster.nodesById.get('node-1')?.coordinator?.context.shards.counts();

  for (const [label, headers] of [
    ['no token', {}],
    ['a wrong token', { 'x-dsv-peer-token': 'not-the-token' }],
    ['an empty token', { 'x-dsv-peer-token': '' }],
  ] as const) {
    it(`I-G1: a stage with ${label} is refused with 403 and stores nothing`, async () => {
      const before = shardRows();
      const response = await fetch(`${peerUrl}/peer/v1/stage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          tenant: 'default',
          partition: 0,
          minOffset: 0,
          shards: [{ namespace: 'x', name: 'y', version: 1, writeId: 'forged', index: 0, share: 'AAAA' }],
        }),
      });
      assert.equal(response.status, 403);
      assert.deepEqual(await response.json(), {
        code: 'DSV_PEER_REJECTED',
        message: 'Peer request rejected',
      });
      assert.deepEqual(shardRows(), before);
    });

    it(`I-G1: a shard read with ${label} is refused with 403 and returns no share`, async () => {
      assert.equal(
        (await v1.create(test.urls[0] ?? '', 'peer-auth', `s-${label}`, 'top-secret')).status,
        201,
      );
      const coordinator = test.cluster.nodesById.get('node-1')?.coordinator;
      const key = { tenant: 'default', namespace: 'peer-auth', name: `s-${label}` };
      const info = coordinator?.context.view.version(key, 1);
      assert.ok(info);
      const response = await fetch(`${peerUrl}/peer/v1/read`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ...key, partition: 0, minOffset: 0, version: 1, writeId: info.writeId }),
      });
      assert.equal(response.status, 403);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.share, undefined);
    });
  }
});
