// Proactive share refresh on an in-process cluster (issue #9; I-R1, I-R2, I-R3): the value reads back
// unchanged, every old shard is useless beside the new ones, a read racing a refresh returns the right value,
// and a refresh that loses a participant changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CoordinatorContext, RefreshPeer } from '../../src/cluster/index.ts';
import { collectSuperseded, refreshVersion } from '../../src/cluster/index.ts';
import { DsvError } from '../../src/errors/index.ts';
import { reconstructSecret, type Share } from '../../src/sharing/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { slowReadsFrom } from '../testing/slow-reads.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

const TENANT = 'default'; // v1 in dev mode: the default tenant, the user as namespace
const USER = 'refresh';
const NODES = ['node-0', 'node-1', 'node-2'];

describe('proactive share refresh (in-process cluster)', { timeout: 120_000 }, () => {
  let test: TestCluster;
  let root = '';
  const hold = { on: false, ms: 600, generations: [] as Array<number | undefined> };
  const url = (i: number): string => test.urls[i] ?? '';
  const contextOf = (nodeId: string): CoordinatorContext => {
    const context = test.cluster.nodesById.get(nodeId)?.coordinator?.context;
    if (!context) throw new Error(`${nodeId} is not running`);
    return context;
  };
  const keyOf = (name: string) => ({ tenant: TENANT, namespace: USER, name });
  const current = (name: string, nodeId = 'node-0') => {
    const info = contextOf(nodeId).view.version(keyOf(name), 1);
    if (!info) throw new Error(`no version 1 of ${name} on ${nodeId}`);
    return info;
  };
  /** Each holder's share of version 1 at `generation`, opened through its own shard store. */
  const sharesAt = async (name: string, generation: number): Promise<Share[]> => {
    const { writeId } = current(name);
    const shares: Share[] = [];
    for (const nodeId of NODES) {
      const found = await contextOf(nodeId).shards.read({
        key: keyOf(name),
        version: 1,
        writeId,
        generation,
      });
      if (found) shares.push({ x: found.index + 1, y: found.share.subarray(0, found.share.length - 32) });
    }
    return shares;
  };
  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await fetch(`${url(0)}${path}`, {
      method,
      headers: { authorization: `Bearer ${root}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    test = await startTestCluster({
      nodes: 3,
      wrapPeer: slowReadsFrom('node-0', hold),
      // No minimum interval, so a version can be refreshed twice in a test; a long grace (GC is called here).
      shareRefresh: { minIntervalMs: 0, timeoutMs: 5_000, graceMs: 600_000, maxStartsPerSecond: 50 },
    });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('I-R2: after a refresh the value reads back unchanged; each old shard with any k − 1 new ones fails the tag', async () => {
    const value = 'correct horse battery staple';
    assert.equal((await v1.create(url(1), USER, 'db/password', value)).status, 201);
    const key = keyOf('db/password');
    const before = current('db/password');
    const old = await sharesAt('db/password', 0);
    assert.equal(old.length, 3);

    const outcome = await refreshVersion(contextOf('node-1'), key, 1);
    assert.deepEqual(outcome, { state: 'committed', generation: 1 });
    await waitFor(() => NODES.every((nodeId) => current('db/password', nodeId).generation === 1), 10_000);
    const after = current('db/password');
    assert.notDeepEqual(after.commitments, before.commitments, 'new commitments');
    for (const i of [0, 1, 2]) {
      const read = await v1.read(url(i), USER, 'db/password');
      assert.deepEqual([read.status, read.body], [200, value], `read through node-${i}`);
    }

    const fresh = await sharesAt('db/password', 1);
    assert.equal(fresh.length, 3, 'every holder staged and promoted generation 1');
    assert.deepEqual((await sharesAt('db/password', 0)).length, 3, 'generation 0 kept for the grace period');
    const identity = { ...key, version: 1 };
    const decoded = (shares: Share[]) => new TextDecoder().decode(reconstructSecret(identity, shares, 2));
    for (const a of fresh)
      for (const b of fresh) if (a.x < b.x) assert.equal(decoded([a, b]), value, `new shares ${a.x},${b.x}`);
    for (const stale of old) {
      for (const other of fresh.filter((share) => share.x !== stale.x)) {
        assert.throws(
          () => reconstructSecret(identity, [stale, other], 2),
          (error: unknown) => error instanceof DsvError && error.code === 'DSV_INTEGRITY_FAILED',
          `old share x=${stale.x} with new share x=${other.x}`,
        );
      }
    }

    // Garbage collection: the superseded generation goes from every holder; the value still reads back.
    for (const nodeId of NODES)
      assert.deepEqual(await collectSuperseded(contextOf(nodeId), 0), { deleted: 1, waiting: 0 }, nodeId);
    assert.equal((await sharesAt('db/password', 0)).length, 0);
    assert.equal((await v1.read(url(2), USER, 'db/password')).body, value);
  });

  it('I-R3: a read racing a refresh returns the right value, also when the old generation is collected under it', async () => {
    assert.equal((await v1.create(url(0), USER, 'racy', 'before-and-after')).status, 201);
    for (const collect of [false, true]) {
      hold.generations = [];
      hold.on = true;
      const read = v1.read(url(0), USER, 'racy');
      await new Promise((resolve) => setTimeout(resolve, 100)); // node-0 resolved the version, its peers wait
      const outcome = await refreshVersion(contextOf('node-2'), keyOf('racy'), 1);
      assert.equal(outcome.state, 'committed');
      if (collect) for (const nodeId of NODES) await collectSuperseded(contextOf(nodeId), 0);
      const answer = await read;
      hold.on = false;
      assert.deepEqual([answer.status, answer.body], [200, 'before-and-after'], `collected: ${collect}`);
      // Collected: the peers no longer had the generation the read resolved, so it resolved again (one
      // generation per combine); kept: it read the old generation throughout.
      const resolved = collect ? [outcome.state === 'committed' ? outcome.generation - 1 : -1] : [0];
      assert.deepEqual(hold.generations.slice(0, 1), resolved, JSON.stringify(hold.generations));
      if (collect)
        assert.ok(
          hold.generations.includes(2),
          `retried on the new generation: ${JSON.stringify(hold.generations)}`,
        );
    }
    assert.equal(current('racy').generation, 2);
  });

  it('I-R1: a refresh that loses a participant after the others staged aborts; nothing changes', async () => {
    assert.equal((await v1.create(url(0), USER, 'steady', 'unchanged')).status, 201);
    const context = contextOf('node-0');
    const before = current('steady');
    const peers = context.refresh?.peers ?? new Map<string, RefreshPeer>();
    // node-2 deals and stages, then is gone before it can sign.
    const failing = new Map<string, RefreshPeer>(
      [...peers].map(([id, peer]): [string, RefreshPeer] => [
        id,
        id !== 'node-2'
          ? peer
          : {
              nodeId: id,
              refreshDeal: (request) => peer.refreshDeal(request),
              refreshApply: (request) => peer.refreshApply(request),
              refreshConfirm: () => Promise.reject(new DsvError('DSV_NODE_UNAVAILABLE')),
            },
      ]),
    );
    const refresh = context.refresh;
    assert.ok(refresh);
    const outcome = await refreshVersion(
      { ...context, refresh: { ...refresh, peers: failing } },
      keyOf('steady'),
      1,
    );
    assert.deepEqual(outcome, { state: 'aborted', reason: 'unavailable' });
    await waitFor(() => NODES.every((nodeId) => contextOf(nodeId).shards.counts().staged === 0), 10_000);
    for (const nodeId of NODES) {
      const info = current('steady', nodeId);
      assert.deepEqual([info.generation, info.commitments], [0, before.commitments], nodeId);
    }
    assert.equal((await v1.read(url(1), USER, 'steady')).body, 'unchanged');
  });

  it('I-R1: with a participant down the refresh aborts and the version stays at its generation', async () => {
    assert.equal((await v1.create(url(0), USER, 'down', 'still here')).status, 201);
    await test.cluster.stopNode('node-2');
    try {
      const outcome = await refreshVersion(contextOf('node-0'), keyOf('down'), 1);
      assert.equal(outcome.state, 'aborted');
      assert.equal(current('down').generation, 0);
      assert.equal(current('down', 'node-1').generation, 0);
      assert.equal((await v1.read(url(1), USER, 'down')).body, 'still here');
    } finally {
      await test.cluster.startNode('node-2');
      await test.cluster.awaitMembership(10_000);
    }
  });

  it('dsv keys refresh-shares: a run over the tenant takes every version one generation up, with status', async () => {
    const status = await admin('GET', `/api/admin/keys/refresh-shares?tenant=${TENANT}`);
    assert.equal(status.status, 200);
    const [before] = status.body.tenants as Array<{ versions: number; generations: Record<string, number> }>;
    assert.ok(before && before.versions >= 4, JSON.stringify(status.body));
    const started = await admin('POST', '/api/admin/keys/refresh-shares', { tenant: TENANT });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const target = (started.body.job as { target: number }).target;
    assert.equal(target, 1, 'the lowest generation + 1');
    let job: { state: string; done: number; total: number } | undefined;
    await waitFor(async () => {
      const polled = await admin('GET', `/api/admin/keys/refresh-shares?tenant=${TENANT}`);
      job = (polled.body.tenants as Array<{ job?: typeof job }>)[0]?.job;
      return job?.state === 'finished';
    }, 60_000);
    assert.equal(job?.done, job?.total, JSON.stringify(job));
    const after = await admin('GET', `/api/admin/keys/refresh-shares?tenant=${TENANT}`);
    const [counted] = after.body.tenants as Array<{ generations: Record<string, number> }>;
    assert.equal(counted?.generations['0'], undefined, JSON.stringify(counted));
    for (const name of ['db/password', 'racy', 'steady', 'down'])
      assert.ok((await v1.read(url(1), USER, name)).status === 200, name);
    // A tenant token is refused: refresh is administration.
    const anonymous = await fetch(`${url(0)}/api/admin/keys/refresh-shares`, { method: 'POST' });
    assert.equal(anonymous.status, 401);
  });
});

describe(
  'scheduled share refresh over the peer API (HTTP, as separate processes do)',
  { timeout: 60_000 },
  () => {
    let test: TestCluster;
    before(async () => {
      test = await startTestCluster({
        nodes: 3,
        peerTransport: 'http',
        // Every version once a second at most (the schedule), then its old generation collected after 1 s.
        shareRefresh: { intervalMs: 1_000, minIntervalMs: 60_000, graceMs: 1_000, timeoutMs: 5_000 },
      });
    });
    after(async () => {
      await test?.stop();
    });

    it('I-R1: the schedule refreshes every version through the peer routes; the old generation is collected', async () => {
      const key = { tenant: TENANT, namespace: USER, name: 'wire' };
      assert.equal((await v1.create(test.urls[0] ?? '', USER, 'wire', 'over http')).status, 201);
      const nodes = [...test.cluster.nodesById.values()].map((node) => {
        const context = node.coordinator?.context;
        assert.ok(context);
        return context;
      });
      await waitFor(() => nodes.every((context) => context.view.version(key, 1)?.generation === 1), 20_000);
      const writeId = nodes[0]?.view.version(key, 1)?.writeId ?? '';
      // Collected on every holder once the grace period is over: only generation 1 is left.
      await waitFor(
        () =>
          nodes.every((context) => !context.shards.hasCommitted({ key, version: 1, writeId, generation: 0 })),
        20_000,
      );
      for (const context of nodes)
        assert.ok(context.shards.hasCommitted({ key, version: 1, writeId, generation: 1 }));
      for (const url of test.urls) assert.equal((await v1.read(url, USER, 'wire')).body, 'over http');
      // The minimum interval holds the schedule back: still generation 1 a moment later.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(nodes[0]?.view.version(key, 1)?.generation, 1);
    });
  },
);
