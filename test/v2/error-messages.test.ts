// Issue #11: errors say what happened. A missing version names the version asked for and the latest one; a
// lost quorum says how many nodes answered and how many were needed — in the problem+json `detail` and in
// `details` — and neither carries a secret value.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { waitFor } from '../testing/wait.ts';

interface Problem {
  code: string;
  status: number;
  detail: string;
  details?: Record<string, unknown>;
}

describe('error messages', () => {
  let test: TestCluster;
  let root: string;
  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  const call = async (method: string, path: string, body?: unknown, node = 0) => {
    const response = await fetch(`${test.urls[node] ?? ''}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${root}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Problem };
  };

  it('not found names the version asked for and the latest one, never a value', async () => {
    for (const value of ['first-VALUE', 'second-VALUE', 'third-VALUE'])
      assert.ok([200, 201].includes((await call('PUT', '/v2/secrets/bench/x', { value })).status));
    const missing = await call('GET', '/v2/secrets/bench/x?version=7');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'DSV_SECRET_NOT_FOUND');
    assert.equal(missing.json.detail, 'Secret bench/x has no version 7 (latest is 3)');
    assert.deepEqual(missing.json.details, { requestedVersion: 7, latestVersion: 3 });
    assert.doesNotMatch(missing.text, /VALUE/);
    const before = await call('GET', '/v2/secrets/bench/x?asOf=2001-01-01T00:00:00Z');
    assert.equal(before.status, 404);
    assert.equal(
      before.json.detail,
      'Secret bench/x has no version at 2001-01-01T00:00:00.000Z (latest is 3)',
    );
    // The latest of a missing secret stays the plain answer.
    const none = await call('GET', '/v2/secrets/bench/nothing-here');
    assert.equal(none.status, 404);
    assert.equal(none.json.detail, 'Secret not found');
  });

  it('quorum errors say how many nodes answered and how many are needed', async () => {
    assert.equal((await call('PUT', '/v2/secrets/q/kept', { value: 'KEPT-VALUE' })).status, 201);
    await test.cluster.stopNode('node-1');
    await test.cluster.stopNode('node-2');
    // Let node-0 see both down (membership), then every write, read and delete is a 503 with its counts.
    await waitFor(async () => {
      const status = (await (await fetch(`${test.urls[0] ?? ''}/api/v1/cluster/status`)).json()) as {
        healthyNodes: number;
      };
      return status.healthyNodes === 1;
    }, 15_000);
    const counted = (answer: Awaited<ReturnType<typeof call>>, code: string) => {
      assert.equal(answer.status, 503, answer.text);
      assert.equal(answer.json.code, code);
      assert.match(answer.json.detail, /: \d+ nodes? answered, \d+ needed$/);
      const { answered, needed } = answer.json.details ?? {};
      assert.equal(typeof answered, 'number');
      assert.equal(typeof needed, 'number');
      assert.ok((answered as number) < (needed as number), answer.text);
      assert.doesNotMatch(answer.text, /VALUE/);
    };
    const write = await call('PUT', '/v2/secrets/q/new', { value: 'NEW-VALUE' });
    counted(write, 'DSV_WRITE_QUORUM_FAILED');
    assert.deepEqual(write.json.details, { answered: 1, needed: 2 });
    assert.match(write.json.detail, /: 1 node answered, 2 needed$/);
    counted(await call('GET', '/v2/secrets/q/kept'), 'DSV_INSUFFICIENT_SHARDS');
    counted(await call('DELETE', '/v2/secrets/q/kept'), 'DSV_DELETE_QUORUM_FAILED');
    await test.cluster.startNode('node-1');
    await test.cluster.startNode('node-2');
  });
});
