// Tokens and policies end to end (DESIGN §9, I-G1, I-T1, I-T2): who may do what, on every node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

interface Reply {
  status: number;
  body: string;
  code: string | null;
}

async function call(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Reply> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: await response.text(),
    code: response.headers.get('x-dsv-error-code'),
  };
}

const v1Create = (url: string, token: string | undefined, user: string, name: string, value: string) =>
  call(url, 'POST', '/api/v1/secrets', token, { user, secretName: name, secretValue: value });
const v1Read = (url: string, token: string | undefined, user: string, name: string) =>
  call(url, 'GET', `/api/v1/secrets/${encodeURIComponent(name)}?user=${encodeURIComponent(user)}`, token);

describe('tokens and policies (production mode: no anonymous access)', () => {
  let test: TestCluster;
  let root = '';
  let url = (_i: number) => '';

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    url = (i: number) => test.urls[i] ?? '';
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('I-G1: without a token, v1 and v2 answer 401 before touching anything', async () => {
    const response = await v1Create(url(0), undefined, 'u', 'n', 'v');
    assert.equal(response.status, 401);
    assert.equal(response.code, 'DSV_AUTH_REQUIRED');
    assert.equal((await call(url(1), 'GET', '/v2/sys/tokens/self')).status, 401);
    assert.equal((await v1Create(url(0), 'dsv.not-a-real-token', 'u', 'n', 'v')).status, 401);
  });

  it('I-T2: a tenant token can do exactly what its policies allow, nothing else', async () => {
    assert.equal((await call(url(0), 'POST', '/v2/sys/tenants', root, { name: 'acme' })).status, 201);
    const policy = await call(url(1), 'PUT', '/v2/sys/policies/app-rw?tenant=acme', root, {
      rules: [
        { path: 'app/*', capabilities: ['read', 'create', 'update'] },
        { namespace: 'ops', name: 'db-password', capabilities: ['read'] },
      ],
    });
    assert.equal(policy.status, 200, policy.body);
    const created = await call(url(2), 'POST', '/v2/sys/tokens', root, {
      tenant: 'acme',
      policies: ['app-rw'],
    });
    assert.equal(created.status, 201, created.body);
    const { token } = JSON.parse(created.body) as { token: string };

    assert.equal((await v1Create(url(0), token, 'app', 'api-key', 'k1')).status, 201);
    assert.equal((await v1Read(url(1), token, 'app', 'api-key')).body, 'k1');
    const denied = await v1Create(url(2), token, 'ops', 'db-password', 'x');
    assert.deepEqual([denied.status, denied.code], [403, 'DSV_AUTH_FORBIDDEN']);
    const deleteDenied = await call(url(0), 'DELETE', '/api/v1/secrets', token, {
      user: 'app',
      deleteName: 'api-key',
    });
    assert.equal(deleteDenied.status, 403);
    // The same name in the default tenant is another secret: an acme token never sees it (I-T1).
    assert.equal((await v1Create(url(0), root, 'app', 'shared-name', 'default-tenant-value')).status, 201);
    const cross = await v1Read(url(1), token, 'app', 'shared-name');
    assert.equal(cross.status, 404);
    assert.doesNotMatch(cross.body, /default-tenant-value/);
    // Administration needs root (or an admin capability in the token's own tenant).
    assert.equal((await call(url(0), 'POST', '/v2/sys/tenants', token, { name: 'evil' })).status, 403);
    assert.equal(
      (await call(url(0), 'POST', '/v2/sys/tokens', token, { tenant: 'default', policies: [] })).status,
      403,
    );
  });

  it('I-T1: a tenant token is never served another tenant: not by name, not by naming the tenant', async () => {
    const created = JSON.parse(
      (await call(url(0), 'POST', '/v2/sys/tokens', root, { tenant: 'acme', policies: ['app-rw'] })).body,
    ) as { token: string };
    for (const i of [0, 1, 2]) {
      const read = await v1Read(url(i), created.token, 'app', 'shared-name');
      assert.equal(read.status, 404);
      assert.doesNotMatch(read.body, /default-tenant-value/);
    }
    // Naming another tenant explicitly (admin API) is refused outright.
    assert.equal((await call(url(1), 'GET', '/v2/sys/policies?tenant=default', created.token)).status, 403);
  });

  it('a revoked token is refused on every node as soon as the revocation returns', async () => {
    const created = JSON.parse(
      (await call(url(0), 'POST', '/v2/sys/tokens', root, { tenant: 'acme', policies: ['app-rw'] })).body,
    ) as { token: string; accessor: string };
    for (const i of [0, 1, 2])
      assert.equal((await v1Read(url(i), created.token, 'app', 'api-key')).status, 200);
    const revoked = await call(url(1), 'DELETE', `/v2/sys/tokens/${created.accessor}`, root);
    assert.equal(revoked.status, 200, revoked.body);
    for (const i of [0, 1, 2]) {
      const read = await v1Read(url(i), created.token, 'app', 'api-key');
      assert.deepEqual([read.status, read.code], [401, 'DSV_AUTH_REQUIRED'], `node-${i}`);
    }
  });

  it("a tenant's admin revokes its tenant's tokens; another tenant's or root's are no token it knows of", async () => {
    const admin = await call(url(0), 'PUT', '/v2/sys/policies/acme-admin?tenant=acme', root, {
      rules: [{ path: '*/*', capabilities: ['admin', 'read'] }],
    });
    assert.equal(admin.status, 200, admin.body);
    const adminToken = (
      JSON.parse(
        (await call(url(0), 'POST', '/v2/sys/tokens', root, { tenant: 'acme', policies: ['acme-admin'] }))
          .body,
      ) as { token: string }
    ).token;
    const child = await call(url(1), 'POST', '/v2/sys/tokens', adminToken, {
      tenant: 'acme',
      policies: ['app-rw'],
    });
    assert.equal(child.status, 201, child.body);
    const leaked = JSON.parse(child.body) as { token: string; accessor: string };
    assert.equal((await v1Read(url(2), leaked.token, 'app', 'api-key')).status, 200);
    // Revoked by the tenant's admin alone, through another node than the one that minted it.
    const revoked = await call(url(2), 'DELETE', `/v2/sys/tokens/${leaked.accessor}`, adminToken);
    assert.equal(revoked.status, 200, revoked.body);
    for (const i of [0, 1, 2])
      assert.equal((await v1Read(url(i), leaked.token, 'app', 'api-key')).status, 401, `node-${i}`);

    // A token of the default tenant and a root token: the same 404 as an accessor no token has.
    const other = JSON.parse(
      (await call(url(0), 'POST', '/v2/sys/tokens', root, { tenant: 'default', policies: [] })).body,
    ) as { token: string; accessor: string };
    const self = JSON.parse((await call(url(0), 'GET', '/v2/sys/tokens/self', root)).body) as {
      accessor: string;
    };
    for (const accessor of [other.accessor, self.accessor, 'no-such-accessor']) {
      const refused = await call(url(1), 'DELETE', `/v2/sys/tokens/${accessor}`, adminToken);
      assert.deepEqual([refused.status, refused.code], [404, 'DSV_ROUTE_NOT_FOUND'], accessor);
    }
    assert.equal((await call(url(0), 'GET', '/v2/sys/tokens/self', other.token)).status, 200);
    // A token that administers nothing is refused before any accessor is looked up.
    const plain = JSON.parse(
      (await call(url(0), 'POST', '/v2/sys/tokens', adminToken, { tenant: 'acme', policies: ['app-rw'] }))
        .body,
    ) as { token: string; accessor: string };
    for (const accessor of [plain.accessor, other.accessor, 'no-such-accessor']) {
      const refused = await call(url(1), 'DELETE', `/v2/sys/tokens/${accessor}`, plain.token);
      assert.deepEqual([refused.status, refused.code], [403, 'DSV_AUTH_FORBIDDEN'], accessor);
    }
  });

  it('an expired token is refused on every node', async () => {
    const created = JSON.parse(
      (
        await call(url(0), 'POST', '/v2/sys/tokens', root, {
          tenant: 'acme',
          policies: ['app-rw'],
          ttlSeconds: 1,
        })
      ).body,
    ) as { token: string };
    assert.equal((await v1Read(url(2), created.token, 'app', 'api-key')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const i of [0, 1, 2])
      assert.equal((await v1Read(url(i), created.token, 'app', 'api-key')).status, 401);
  });

  it('v2 errors are problem+json with the stable code', async () => {
    const response = await fetch(`${url(0)}/v2/sys/tokens/self`);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = (await response.json()) as { code: string; status: number; title: string };
    assert.equal(body.code, 'DSV_AUTH_REQUIRED');
    assert.equal(body.status, 401);
  });
});
