// The console's read-only admin endpoints on a production-mode cluster: GET /v2/sys/shards/{ns}/{name}
// (shard redundancy) and GET /ui/api/audit/{ns}/{name} (a secret's audit trail) answer root and a tenant
// admin of the secret's own tenant, and refuse everyone else before reading anything.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

describe('console admin endpoints', () => {
  let test: TestCluster;
  let root = '';
  let reader = '';
  let admin = '';

  const call = async (path: string, token?: string) => {
    const response = await fetch(`${test.urls[0]}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const post = async (path: string, body: unknown, method = 'POST') => {
    const response = await fetch(`${test.urls[0]}${path}`, {
      method,
      headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.status < 300, `${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    await post('/v2/sys/tenants', { name: 'acme' });
    await post(
      '/v2/sys/policies/rw?tenant=acme',
      { rules: [{ path: 'app/*', capabilities: ['read', 'create', 'update', 'list', 'history'] }] },
      'PUT',
    );
    await post(
      '/v2/sys/policies/adm?tenant=acme',
      { rules: [{ path: '*/*', capabilities: ['admin'] }] },
      'PUT',
    );
    reader = String((await post('/v2/sys/tokens', { tenant: 'acme', policies: ['rw'] })).token);
    admin = String((await post('/v2/sys/tokens', { tenant: 'acme', policies: ['adm'] })).token);
    const written = await fetch(`${test.urls[1]}/v2/secrets/app/db`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'v1' }),
    });
    assert.equal(written.status, 201);
  });
  after(async () => {
    await test?.stop();
  });

  it('shard redundancy: root and the tenant admin see every version held by all n nodes; others are refused', async () => {
    const asAdmin = await call('/v2/sys/shards/app/db', admin);
    assert.equal(asAdmin.status, 200, JSON.stringify(asAdmin.json));
    assert.equal(asAdmin.json.n, 3);
    assert.equal(asAdmin.json.k, 2);
    const versions = asAdmin.json.versions as Array<{
      version: number;
      available: number;
      shards: Array<{ state: string }>;
    }>;
    assert.equal(versions.length, 1);
    assert.deepEqual(
      versions[0]?.shards.map((shard) => shard.state),
      ['held', 'held', 'held'],
    );
    assert.ok(!JSON.stringify(asAdmin.json).includes('v1"'), 'no value in the answer');
    assert.equal((await call('/v2/sys/shards/app/db?tenant=acme', root)).status, 200);
    assert.equal((await call('/v2/sys/shards/app/db', root)).status, 404, 'root on its default tenant');
    assert.equal((await call('/v2/sys/shards/app/db')).status, 401);
    assert.equal((await call('/v2/sys/shards/app/db', reader)).status, 403);
    assert.equal((await call('/v2/sys/shards/app/db?tenant=default', admin)).status, 403);
  });

  it("a secret's audit trail: the tenant admin and root get verified records; others are refused", async () => {
    const asAdmin = await call('/ui/api/audit/app/db', admin);
    assert.equal(asAdmin.status, 200, JSON.stringify(asAdmin.json));
    assert.equal(asAdmin.json.verified, true);
    assert.equal(asAdmin.json.node, 'node-0');
    assert.equal((await call('/ui/api/audit/app/db?tenant=acme', root)).status, 200);
    assert.equal((await call('/ui/api/audit/app/db')).status, 401);
    assert.equal((await call('/ui/api/audit/app/db', reader)).status, 403);
    assert.equal((await call('/ui/api/audit/app/db?tenant=default', admin)).status, 403);
  });
});
