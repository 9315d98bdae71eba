// Issue #8 regressions on a production-mode cluster: idempotency keys are the caller's own, a token never
// outlives its creator, and a shredded tenant's tokens authenticate nothing (I-T5, I-T1 after shred).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

interface Reply {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

describe('trust regressions (issue #8)', () => {
  let test: TestCluster;
  let root = '';
  const url = (i: number) => test.urls[i] ?? '';
  const call = async (
    i: number,
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const response = await fetch(`${url(i)}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const token = async (tenant: string, policies: string[], as = root, ttlSeconds?: number) => {
    const created = await call(1, 'POST', '/v2/sys/tokens', as, {
      tenant,
      policies,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return created.json as { token: string; accessor: string; expiresAt: string | null };
  };

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    for (const tenant of ['acme', 'doomed']) {
      assert.equal((await call(0, 'POST', '/v2/sys/tenants', root, { name: tenant })).status, 201);
      const policy = await call(0, 'PUT', `/v2/sys/policies/all?tenant=${tenant}`, root, {
        rules: [
          {
            namespace: '*',
            name: '*',
            capabilities: ['read', 'create', 'update', 'delete', 'history', 'admin'],
          },
        ],
      });
      assert.equal(policy.status, 200);
    }
  });
  after(async () => {
    await test?.stop();
  });

  it('an Idempotency-Key reused by another principal does not replay the first principal’s answer', async () => {
    const alice = await token('acme', ['all']);
    const bob = await token('acme', ['all']);
    const key = { 'idempotency-key': 'shared-key-1' };
    const first = await call(0, 'PUT', '/v2/secrets/app/db', alice.token, { value: 'alice' }, key);
    assert.deepEqual([first.status, first.json.version], [201, 1]);
    const retry = await call(2, 'PUT', '/v2/secrets/app/db', alice.token, { value: 'alice' }, key);
    assert.deepEqual([retry.status, retry.json.version], [201, 1], 'the same caller replays');
    const other = await call(1, 'PUT', '/v2/secrets/app/db', bob.token, { value: 'bob' }, key);
    assert.deepEqual([other.status, other.json.version], [200, 2], 'another caller gets its own write');
    const elsewhere = await call(1, 'PUT', '/v2/secrets/app/other', alice.token, { value: 'x' }, key);
    assert.deepEqual([elsewhere.status, elsewhere.json.version], [201, 1], 'another target is another write');
    const read = await call(0, 'GET', '/v2/secrets/app/db', alice.token);
    assert.equal(read.json.value, 'bob');
  });

  it('I-T5: a tenant admin’s child token never outlives it, and dies with it', async () => {
    const admin = await token('acme', ['all'], root, 120);
    const child = await token('acme', ['all'], admin.token, 3600);
    assert.ok(child.expiresAt !== null && Date.parse(child.expiresAt) <= Date.parse(admin.expiresAt ?? ''));
    const grandchild = await token('acme', ['all'], child.token);
    assert.equal((await call(0, 'GET', '/v2/sys/tokens/self', grandchild.token)).status, 200);
    const revoked = await call(0, 'DELETE', `/v2/sys/tokens/${admin.accessor}`, root);
    assert.equal(revoked.status, 200);
    for (const t of [admin, child, grandchild])
      for (const i of [0, 1, 2])
        assert.equal((await call(i, 'GET', '/v2/sys/tokens/self', t.token)).status, 401);
  });

  it('a shredded tenant’s tokens authenticate nothing and mint nothing', async () => {
    const admin = await token('doomed', ['all']);
    const shred = await fetch(`${url(0)}/api/admin/tenants/doomed/shred`, {
      method: 'POST',
      headers: { authorization: `Bearer ${root}` },
    });
    assert.equal(shred.status, 200);
    for (const i of [0, 1, 2]) {
      assert.equal((await call(i, 'GET', '/v2/sys/tokens/self', admin.token)).status, 401);
      const minted = await call(i, 'POST', '/v2/sys/tokens', admin.token, {
        tenant: 'doomed',
        policies: ['all'],
      });
      assert.equal(minted.status, 401);
    }
  });
});

describe('operator endpoints in production (security review F8)', () => {
  let test: TestCluster;
  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
  });
  after(async () => {
    await test?.stop();
  });

  it('/api/v1/cluster/nodes needs the root token on a production node', async () => {
    const url = `${test.urls[1]}/api/v1/cluster/nodes`;
    assert.equal((await fetch(url)).status, 401);
    const root = await test.cluster.issueDevRootToken();
    const answer = await fetch(url, { headers: { authorization: `Bearer ${root}` } });
    assert.equal(answer.status, 200);
  });
});
