// Tenant quotas (DESIGN §9): each limit answers its documented status and code, and leaves nothing written.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/dev-cluster.ts';

async function call(
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  contentType = 'application/json',
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: await response.text(),
    code: response.headers.get('x-dsv-error-code'),
    retryAfter: response.headers.get('retry-after'),
  };
}

describe('tenant quotas', () => {
  let test: TestCluster;
  let root = '';
  let token = '';
  const url = (i: number) => test.urls[i] ?? '';
  const create = (i: number, name: string, value: string) =>
    call(url(i), 'POST', '/api/v1/secrets', token, { user: 'app', secretName: name, secretValue: value });
  const read = (i: number, name: string) => call(url(i), 'GET', `/api/v1/secrets/${name}?user=app`, token);

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    assert.equal((await call(url(0), 'POST', '/v2/sys/tenants', root, { name: 'q' })).status, 201);
    assert.equal(
      (
        await call(url(0), 'PUT', '/v2/sys/policies/all?tenant=q', root, {
          rules: [{ path: '*/*', capabilities: ['read', 'create', 'update', 'delete', 'history'] }],
        })
      ).status,
      200,
    );
    token = (
      JSON.parse(
        (await call(url(0), 'POST', '/v2/sys/tokens', root, { tenant: 'q', policies: ['all'] })).body,
      ) as { token: string }
    ).token;
    const quota = await call(url(1), 'PUT', '/v2/sys/quotas?tenant=q', root, {
      maxSecrets: 3,
      maxValueBytes: 10,
      requestsPerSecond: null,
    });
    assert.equal(quota.status, 200, quota.body);
  });
  after(async () => {
    await test?.stop();
  });

  it('the number of secrets: the create past the limit is 429 DSV_QUOTA_SECRETS and writes nothing, on every node', async () => {
    for (const [i, name] of ['a', 'b', 'c'].entries()) assert.equal((await create(i, name, 'v')).status, 201);
    const over = await create(2, 'd', 'v');
    assert.deepEqual([over.status, over.code], [429, 'DSV_QUOTA_SECRETS']);
    for (const i of [0, 1, 2]) assert.equal((await read(i, 'd')).status, 404);
    // A delete frees a slot; an all-or-nothing .env that needs two slots with one free writes neither.
    assert.equal(
      (await call(url(0), 'DELETE', '/api/v1/secrets', token, { user: 'app', deleteName: 'c' })).status,
      204,
    );
    const env = await call(
      url(1),
      'POST',
      '/api/v1/secrets/env?user=app',
      token,
      'E1=new:x\nE2=new:y',
      'text/plain',
    );
    assert.deepEqual([env.status, env.code], [429, 'DSV_QUOTA_SECRETS']);
    for (const name of ['E1', 'E2']) assert.equal((await read(2, name)).status, 404);
    assert.equal((await create(0, 'e', 'v')).status, 201);
  });

  it('the value size: a value over the tenant limit is 413 DSV_VALUE_TOO_LARGE and writes nothing', async () => {
    const big = await call(url(0), 'PUT', '/api/v1/secrets', token, {
      user: 'app',
      secretCurrentName: 'a',
      secretUpdatedValue: '12345678901',
    });
    assert.deepEqual([big.status, big.code], [413, 'DSV_VALUE_TOO_LARGE']);
    assert.equal((await read(1, 'a')).body, 'v');
    assert.equal((await call(url(0), 'GET', '/api/v1/secrets/a/all?user=app', token)).body, '{"1":"v"}');
  });

  it('the request rate: over the rate is 429 DSV_QUOTA_RATE with Retry-After, and a refused create writes nothing', async () => {
    assert.equal(
      (
        await call(url(0), 'PUT', '/v2/sys/quotas?tenant=q', root, {
          maxSecrets: 100,
          maxValueBytes: null,
          requestsPerSecond: 5,
        })
      ).status,
      200,
    );
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => create(0, `burst-${i}`, 'v')));
    const limited = burst.filter((response) => response.status === 429);
    assert.ok(limited.length >= 5, `expected rate limiting, got ${burst.map((r) => r.status).join(',')}`);
    for (const response of limited) {
      assert.equal(response.code, 'DSV_QUOTA_RATE');
      assert.ok(Number(response.retryAfter) >= 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 1200));
    for (const [i, response] of burst.entries()) {
      if (response.status === 429) assert.equal((await read(1, `burst-${i}`)).status, 404);
      await new Promise((resolve) => setTimeout(resolve, 220));
    }
  });
});
