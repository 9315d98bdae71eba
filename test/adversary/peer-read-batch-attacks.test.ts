// Attacks on the batched peer routes (issue #10: `/peer/v1/<op>-batch`, src/cluster/peer/peer-batch.ts) with one
// node's credentials (node-0's peer token; plain HTTP peers in the test cluster, so no certificate is needed),
// and on the client side (BatchedPeerCalls / RemoteShardHolder) with a hostile or slow peer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { partitionForTenant } from '../../src/cluster/index.ts';
import { BatchedPeerCalls } from '../../src/cluster/peer/peer-batch.ts';
import { RemoteShardHolder } from '../../src/cluster/peer/remote-shard-holder.ts';
import { isDsvError } from '../../src/errors/index.ts';
import { loadNodeIdentity, nodeCredential } from '../../src/trust/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

type Json = Record<string, unknown>;
type BatchItem = { answer?: Json; refused?: { code: string; status: number } };

describe(
  'batched peer reads, attacked with node-0’s credentials (production nodes)',
  { timeout: 180_000 },
  () => {
    let test: TestCluster;
    let root = '';
    const tokens: Record<string, string> = {};
    let clusterId = '';
    let node0Token = '';
    const key = { tenant: 'acme', namespace: 'team', name: 'db' };
    let writeIds: Record<number, string> = {};
    let partition = 0;

    const node = (id: string) => {
      const found = test.cluster.nodesById.get(id);
      assert.ok(found);
      return found;
    };
    const peerUrl = (id: string) => node('node-0').config.members.find((m) => m.nodeId === id)?.peerUrl ?? '';
    const asNode0 = () => ({
      'content-type': 'application/json',
      'x-dsv-peer-node': 'node-0',
      'x-dsv-peer-token': node0Token,
    });
    const post = async (id: string, path: string, body: unknown): Promise<{ status: number; body: Json }> => {
      const response = await fetch(`${peerUrl(id)}${path}`, {
        method: 'POST',
        headers: asNode0(),
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
    };
    const send = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${test.urls[1]}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.text() };
    };
    const cred = (token: string, nodeId: string) => ({
      kind: 'token',
      credential: nodeCredential(token, clusterId, nodeId),
    });
    const readBody = (overrides: Json = {}): Json => ({
      ...key,
      partition,
      minOffset: 0,
      version: 2,
      writeId: writeIds[2],
      credential: cred(tokens.reader ?? '', 'node-1'),
      purpose: 'read',
      ...overrides,
    });
    const auditLines = (id: string): Json[] => {
      const dir = join(node(id).config.dataDir, 'audit');
      return readdirSync(dir)
        .filter((name) => name.endsWith('.jsonl'))
        .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n'))
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line) as Json);
    };

    before(async () => {
      test = await startTestCluster({ nodes: 3, devMode: false, peerTransport: 'http' });
      root = await test.cluster.issueDevRootToken();
      clusterId = (test.cluster as unknown as { trust: { manifest: { clusterId: string } } }).trust.manifest
        .clusterId;
      node0Token = loadNodeIdentity(join(test.dataDir, 'trust', 'node-0')).peerToken;
      assert.equal((await send('POST', '/v2/sys/tenants', root, { name: 'acme' })).status, 201);
      const policy = async (name: string, rules: unknown[]) =>
        assert.equal(
          (await send('PUT', `/v2/sys/policies/${name}?tenant=acme`, root, { rules })).status,
          200,
        );
      await policy('all', [
        { namespace: '*', name: '*', capabilities: ['read', 'create', 'update', 'delete', 'history'] },
      ]);
      await policy('reader', [{ namespace: 'team', name: '*', capabilities: ['read'] }]);
      for (const [name, policies] of [
        ['all', ['all']],
        ['reader', ['reader']],
      ] as const) {
        const created = await send('POST', '/v2/sys/tokens', root, { tenant: 'acme', policies });
        assert.equal(created.status, 201, created.body);
        tokens[name] = (JSON.parse(created.body) as { token: string }).token;
      }
      for (const value of ['old', 'new']) {
        const put = await send('PUT', '/v2/secrets/team/db', tokens.all ?? '', { value });
        assert.ok(put.status === 201 || put.status === 200, put.body);
      }
      const context = node('node-1').coordinator?.context;
      assert.ok(context);
      partition = partitionForTenant('acme', context.log.partitionCount);
      await context.applier.catchUp(partition, 10_000);
      writeIds = {
        1: context.view.version(key, 1)?.writeId ?? '',
        2: context.view.version(key, 2)?.writeId ?? '',
      };
      assert.ok(writeIds[1] && writeIds[2]);
    });
    after(async () => {
      await test?.stop();
    });

    it('per-item authorisation: every item gets exactly the answer /peer/v1/read gives it alone', async () => {
      const items: Array<[string, Json]> = [
        ['reader, latest', readBody()],
        ['reader, compare (needs update)', readBody({ purpose: 'compare' })],
        ['reader, old version (needs history)', readBody({ version: 1, writeId: writeIds[1] })],
        [
          'reader credential derived for node-2',
          readBody({ credential: cred(tokens.reader ?? '', 'node-2') }),
        ],
        ['reader credential, another tenant', readBody({ tenant: 'default' })],
        ['anonymous', readBody({ credential: { kind: 'anonymous' } })],
        ['root credential for node-1 without approval', readBody({ credential: cred(root, 'node-1') })],
        ['generation far ahead', readBody({ generation: 7 })],
        ['reader, latest, duplicate', readBody()],
      ];
      const alone: Array<{ status: number; body: Json }> = [];
      for (const [, body] of items) alone.push(await post('node-1', '/peer/v1/read', body));
      const batch = await post('node-1', '/peer/v1/read-batch', { items: items.map(([, body]) => body) });
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      const results = batch.body.results as BatchItem[];
      assert.equal(results.length, items.length);
      items.forEach(([label], i) => {
        const single = alone[i];
        const item = results[i] ?? {};
        assert.ok(single);
        if (single.status === 200) assert.deepEqual(item, { answer: single.body }, label);
        else {
          assert.equal(item.refused?.status, single.status, `${label}: ${JSON.stringify(item)}`);
          assert.equal(item.refused?.code, single.body.code, label);
          assert.equal(item.answer, undefined, label);
        }
      });
      // Only the reader's own latest-version reads (and root, under the dev cluster's standing approval)
      // released a share; compare/history/other audience/other tenant/anonymous refused.
      assert.deepEqual(
        results.map((r) => typeof r.answer?.share === 'string'),
        [true, false, false, false, false, false, true, false, true],
      );
    });

    it('audit: a batch leaves the same trail as its items alone (releases and refusals, per item)', async () => {
      const tag = randomBytes(4).toString('hex');
      const items = [
        readBody({ requestId: `ok-a-${tag}` }),
        readBody({ requestId: `ok-b-${tag}` }),
        readBody({ requestId: `cmp-${tag}`, purpose: 'compare' }),
        readBody({ requestId: `anon-${tag}`, credential: { kind: 'anonymous' } }),
        readBody({ requestId: `ok-a-${tag}` }), // duplicate, same request id
      ];
      const countRefused = () =>
        auditLines('node-1').filter(
          (r) => r.operation === 'peer.shard-refused' && r.accessor === 'node:node-0',
        ).length;
      const refusedBefore = countRefused();
      const batch = await post('node-1', '/peer/v1/read-batch', { items });
      assert.equal(batch.status, 200);
      const deadline = Date.now() + 5000;
      let released: Json[] = [];
      while (Date.now() < deadline) {
        released = auditLines('node-1').filter(
          (r) => r.operation === 'peer.shard-release' && String(r.requestId).endsWith(tag),
        );
        if (released.length >= 3 && countRefused() - refusedBefore >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(released.length, 3, 'one release record per released item, duplicates included');
      assert.equal(countRefused() - refusedBefore, 2, 'one refusal record per refused item');
    });

    it('odd items (huge version, foreign partition, NUL, max generation): answered as alone, only code and status', async () => {
      const candidates: Array<[string, Json]> = [
        ['version 2^60', readBody({ version: 2 ** 60 })],
        ['version 1e300', readBody({ version: 1e300 })],
        ['partition 2^40, minOffset 0', readBody({ partition: 2 ** 40 })],
        ['name with NUL', readBody({ name: 'd\u0000b' })],
        ['generation max', readBody({ generation: 0xffff_ffff })],
      ];
      const alone: Array<{ status: number; body: Json }> = [];
      for (const [, body] of candidates) alone.push(await post('node-1', '/peer/v1/read', body));
      const batch = await post('node-1', '/peer/v1/read-batch', {
        items: [...candidates.map(([, body]) => body), readBody()],
      });
      assert.equal(batch.status, 200);
      const results = batch.body.results as BatchItem[];
      candidates.forEach(([label], i) => {
        const item = results[i] ?? {};
        const single = alone[i];
        assert.ok(single);
        if (single.status === 200) assert.deepEqual(item, { answer: single.body });
        else {
          assert.equal(item.refused?.status, single.status, label);
          assert.equal(item.refused?.code, single.body.code, label);
          assert.deepEqual(Object.keys(item), ['refused'], `${label}: nothing but the refusal`);
          assert.deepEqual(
            Object.keys(item.refused ?? {}).sort(),
            ['code', 'status'],
            `${label}: code and status`,
          );
        }
      });
      assert.equal(
        typeof results[candidates.length]?.answer?.share,
        'string',
        'the good item is still answered',
      );
    });

    it('bounded work: waits that time out leave no waiter behind, and a foreign partition is refused before any wait', async () => {
      const applier = node('node-1').coordinator?.context.applier as unknown as {
        waiters: Map<number, Set<unknown>>;
      };
      const waitersOn = (p: number) => applier.waiters.get(p)?.size ?? 0;
      const before = waitersOn(partition);
      const far = 2 ** 50;
      const pending = post('node-1', '/peer/v1/read-batch', {
        items: Array.from({ length: 64 }, () =>
          readBody({ minOffset: far, credential: { kind: 'anonymous' } }),
        ),
      });
      // Partitions other than the tenant's (or that do not exist) are refused at once: nothing waits on them.
      const foreign = await post('node-1', '/peer/v1/read-batch', {
        items: Array.from({ length: 64 }, (_, i) =>
          readBody({ partition: 1_000_000 + i, minOffset: 1, credential: { kind: 'anonymous' } }),
        ),
      });
      assert.equal(foreign.status, 200);
      assert.ok((foreign.body.results as BatchItem[]).every((r) => r.refused?.code === 'DSV_INPUT_INVALID'));
      assert.ok(
        [...applier.waiters.keys()].every((p) => p < 1_000_000),
        'no waiter entry for a foreign partition',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(
        waitersOn(partition) - before,
        64,
        'one request, 64 apply waiters (a single read holds one)',
      );
      // Meanwhile the partition moves on (any write of the tenant): the applier wakes some waiters, not these.
      assert.ok(
        [200, 201].includes(
          (await send('PUT', '/v2/secrets/team/other', tokens.all ?? '', { value: 'x' })).status,
        ),
      );
      const answer = await pending;
      assert.equal(answer.status, 200);
      const results = answer.body.results as BatchItem[];
      assert.ok(results.every((r) => r.refused?.status === 503 && r.answer === undefined));
      assert.equal(waitersOn(partition) - before, 0, 'every timed-out waiter left with its timeout');
    });

    it('no head-of-line across partitions: a read waiting on a lagging partition does not hold another partition’s read', async () => {
      const holder = new RemoteShardHolder(
        { nodeId: 'node-1', url: peerUrl('node-1') },
        { selfId: 'node-0', peerToken: node0Token, requestTimeoutMs: 2000 },
      );
      try {
        const request = (overrides: Json = {}) => {
          const body = readBody(overrides);
          return {
            key,
            partition: Number(body.partition),
            minOffset: Number(body.minOffset),
            version: Number(body.version),
            writeId: String(body.writeId),
            credential: body.credential as never,
            purpose: body.purpose as 'read',
            requestId: randomBytes(8).toString('hex'),
          };
        };
        // Alone: answered at once.
        const lone = await holder.read(request());
        assert.ok(lone?.share, 'the lone read is released');
        // The same read in the same turn as a read of another tenant whose partition the holder has not
        // applied that far (a lagging partition): they go in different batches.
        const count = node('node-1').coordinator?.context.log.partitionCount ?? 1;
        const tenant = ['t0', 't1', 't2', 't3', 't4', 't5'].find(
          (t) => partitionForTenant(t, count) !== partition,
        );
        assert.ok(tenant, 'a tenant on another partition');
        const other = { tenant, namespace: 'team', name: 'db' };
        const otherPartition = partitionForTenant(tenant, count);
        const started = Date.now();
        let goodMs = -1;
        const [good, slow] = await Promise.allSettled([
          holder.read(request()).finally(() => (goodMs = Date.now() - started)),
          holder.read({
            ...request({ minOffset: 2 ** 50, credential: { kind: 'anonymous' } }),
            key: other,
            partition: otherPartition,
          }),
        ]);
        assert.equal(good.status, 'fulfilled', 'the good read failed because of the other partition’s item');
        assert.ok(goodMs >= 0 && goodMs < 1500, `the good read waited ${goodMs} ms`);
        assert.equal(slow.status, 'rejected');
      } finally {
        await holder.close();
      }
    });
  },
);

describe('batched peer calls, client side, against a hostile peer', () => {
  const release = (n: number) => ({ index: 1, share: Buffer.from(`share-${n}`).toString('base64') });
  const VALUE_BYTES = 64 * 1024; // the default limit: 64 items per batch

  it('answers are never mixed between callers, across several batches of one turn', async () => {
    const sizes: number[] = [];
    const calls = new BatchedPeerCalls(
      'node-1',
      async (path, body) => {
        if (path.endsWith('-batch')) {
          const items = (body as { items: Json[] }).items;
          sizes.push(items.length);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
          return { results: items.map((item) => ({ answer: release(Number(item.n)) })) };
        }
        sizes.push(1);
        return release(Number(body.n));
      },
      VALUE_BYTES,
    );
    const answers = await Promise.all(Array.from({ length: 600 }, (_, n) => calls.call('read', { n })));
    answers.forEach((answer, n) => assert.deepEqual(answer, release(n)));
    assert.deepEqual(
      sizes.sort((a, b) => a - b),
      [24, ...Array<number>(9).fill(64)],
    );
  });

  for (const [label, answer] of [
    ['null', null],
    ['a string', 'x'],
    ['results shorter', { results: [release(0)] }],
    ['results longer', { results: [release(0), release(1), release(2)] }],
    ['results not an array', { results: { length: 2 } }],
    ['results of non-objects', { results: [null, 7] }],
    [
      'results with an empty answer and a malformed refusal',
      { results: [{ answer: null }, { refused: 'x' }] },
    ],
    ['results that are bare releases (no answer wrapper)', { results: [release(0), release(1)] }],
  ] as const) {
    it(`a peer answering ${label}: every caller settles (no hang) with a DsvError, none gets a share`, async () => {
      const calls = new BatchedPeerCalls('node-1', async () => answer, VALUE_BYTES);
      const settled = await Promise.race([
        Promise.allSettled([calls.call('read', { n: 0 }), calls.call('read', { n: 1 })]),
        new Promise((resolve) => setTimeout(() => resolve('hang'), 2000)),
      ]);
      assert.notEqual(settled, 'hang');
      const outcomes = settled as PromiseSettledResult<unknown>[];
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected', `${label}: ${JSON.stringify(outcome)}`);
        if (outcome.status === 'rejected')
          assert.ok(isDsvError(outcome.reason), `${label}: ${String(outcome.reason)}`);
      }
    });
  }

  it('a peer answering 404 to a batch: the items are re-sent singly, and the peer is then asked singly for a while', async () => {
    const seen: string[] = [];
    const calls = new BatchedPeerCalls(
      'node-1',
      async (path, body) => {
        seen.push(path);
        if (path.endsWith('-batch')) return undefined; // the 404 the client treats as "no batch route"
        return release(Number(body.n));
      },
      VALUE_BYTES,
    );
    const first = await Promise.all([calls.call('read', { n: 0 }), calls.call('read', { n: 1 })]);
    assert.deepEqual(first, [release(0), release(1)]);
    await Promise.all([calls.call('read', { n: 2 }), calls.call('read', { n: 3 })]);
    assert.deepEqual(seen, [
      '/peer/v1/read-batch',
      '/peer/v1/read',
      '/peer/v1/read',
      '/peer/v1/read',
      '/peer/v1/read',
    ]);
  });
});
