// I-G1 on the peer API: a caller without the cluster's peer credentials is refused before any shard is touched;
// I-G4, I-S4, I-S5: and a node's own credentials neither impersonate another node nor buy a shard.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadNodeIdentity } from '../../src/trust/index.ts';
import { partitionForTenant } from '../../src/cluster/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

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

describe('peer API: a node’s own credentials are not a licence (design 2026-12-02 §5–§8)', () => {
  let test: TestCluster;
  let root = '';
  const node0Identity = () => loadNodeIdentity(join(test.dataDir, 'trust', 'node-0'));
  const peer = (nodeId: string) =>
    test.cluster.nodesById.get('node-0')?.config.members.find((m) => m.nodeId === nodeId)?.peerUrl ?? '';
  const asNode0 = (claimed = 'node-0') => ({
    'content-type': 'application/json',
    'x-dsv-peer-node': claimed,
    'x-dsv-peer-token': node0Identity().peerToken,
  });

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    const put = await fetch(`${test.urls[2]}/v2/secrets/ops/db`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'original-value' }),
    });
    assert.equal(put.status, 201);
  });
  after(async () => {
    await test?.stop();
  });

  const version = () => {
    const info = test.cluster.nodesById
      .get('node-0')
      ?.coordinator?.context.view.version({ tenant: 'default', namespace: 'ops', name: 'db' }, 1);
    assert.ok(info);
    return info;
  };
  const readBack = async (url: string) =>
    (await (
      await fetch(`${url}/v2/secrets/ops/db`, { headers: { authorization: `Bearer ${root}` } })
    ).json()) as {
      value?: string;
    };

  it('I-G4: node-0’s peer token under node-1’s name is refused; under its own it is served', async () => {
    assert.equal(
      (await fetch(`${peer('node-2')}/peer/v1/health`, { headers: asNode0('node-1') })).status,
      403,
    );
    assert.equal((await fetch(`${peer('node-2')}/peer/v1/health`, { headers: asNode0() })).status, 200);
  });

  it('I-S5: with node-0’s credentials but no client’s, node-1 and node-2 release no shard', async () => {
    const { writeId } = version();
    for (const nodeId of ['node-1', 'node-2']) {
      for (const credential of [{ kind: 'anonymous' }, { kind: 'token', credential: 'A'.repeat(43) }]) {
        const response = await fetch(`${peer(nodeId)}/peer/v1/read`, {
          method: 'POST',
          headers: asNode0(),
          body: JSON.stringify({
            tenant: 'default',
            namespace: 'ops',
            name: 'db',
            partition: partitionForTenant('default', 5),
            minOffset: 0,
            version: 1,
            writeId,
            credential,
            purpose: 'read',
          }),
        });
        assert.equal(response.status, 403, `${nodeId} ${credential.kind}`);
        assert.equal(((await response.json()) as Record<string, unknown>).share, undefined);
      }
    }
  });

  it('I-S4: a stage under a committed write id is refused everywhere; the value reads back unchanged', async () => {
    const { writeId } = version();
    for (const nodeId of ['node-0', 'node-1', 'node-2']) {
      const response = await fetch(`${peer(nodeId)}/peer/v1/stage`, {
        method: 'POST',
        headers: asNode0(),
        body: JSON.stringify({
          tenant: 'default',
          partition: partitionForTenant('default', 5),
          minOffset: 0,
          shards: [0, 1, 2].map((index) => ({
            namespace: 'ops',
            name: 'db',
            version: 1,
            writeId,
            index,
            share: Buffer.from('forged').toString('base64'),
            blinding: Buffer.alloc(32).toString('base64'),
            commitment: 'x',
          })),
        }),
      });
      assert.ok(response.status === 409 || response.status === 403, `${nodeId}: ${response.status}`);
    }
    for (const url of test.urls) assert.equal((await readBack(url)).value, 'original-value');
  });
});

describe('refused log records are audited by every honest node (threat model §1)', () => {
  let test: TestCluster;
  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
  });
  after(async () => {
    await test?.stop();
  });

  it('I-T3: a token record signed by node-0 alone is refused and lands in node-1’s and node-2’s audit trails', async () => {
    const context = test.cluster.nodesById.get('node-0')?.coordinator?.context;
    assert.ok(context);
    const partition = context.log.partitionCount - 1;
    const { offset } = await context.log.append(
      partition,
      '',
      context.codec.encode(partition, {
        type: 'token-create',
        accessor: 'minted-by-node-0',
        verifiers: {},
        creator: null,
        tenant: null,
        policies: [],
        displayName: 'forged',
        expiresAt: null,
        time: Date.now(),
        rid: 'forged-1',
        endorsements: [],
      }),
    );
    for (const nodeId of ['node-1', 'node-2']) {
      const node = test.cluster.nodesById.get(nodeId);
      await node?.coordinator?.context.applier.waitApplied(partition, offset, 10_000);
      assert.equal(node?.coordinator?.context.control?.tokenByAccessor('minted-by-node-0'), undefined);
      await waitFor(async () => {
        const dir = join(node?.config.dataDir ?? '', 'audit');
        const text = readdirSync(dir)
          .filter((name) => name.endsWith('.jsonl'))
          .map((name) => readFileSync(join(dir, name), 'utf8'))
          .join('\n');
        return (
          text.includes('"operation":"log.record-refused.not-endorsed"') && text.includes('"node:node-0"')
        );
      }, 5_000);
    }
  });
});
