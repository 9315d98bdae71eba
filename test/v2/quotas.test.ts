// Tenant quotas (DESIGN §9): each limit answers its documented status and code, and leaves nothing written.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { isDsvError } from '../../src/errors/index.ts';
import { RateLimitedAuthenticator } from '../../src/gateway/rate-limit.ts';
import type { Caller } from '../../src/gateway/tenancy.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { waitFor } from '../testing/wait.ts';

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

// The rate quota's arithmetic on an injected clock: no real time passes, so a loaded machine changes nothing.
describe('request rate quota (token bucket, fake clock)', () => {
  const caller = (tenant: string, root = false): Caller => ({ tenant, accessor: 'a', root, can: () => true });
  const limiter = (rate: number | null, who: Caller = caller('q')) => {
    const clock = { now: 1_000_000 };
    const authenticator = new RateLimitedAuthenticator(
      { authenticate: () => Promise.resolve(who) },
      () => rate,
      () => clock.now,
    );
    const attempt = () =>
      authenticator.authenticate({} as FastifyRequest).then(
        () => 'ok' as const,
        (error: unknown) => {
          if (isDsvError(error) && error.code === 'DSV_QUOTA_RATE') return error.details?.retryAfterSeconds;
          throw error;
        },
      );
    return { clock, attempt };
  };
  const attempts = async (attempt: () => Promise<unknown>, n: number) => {
    const outcomes: unknown[] = [];
    for (let i = 0; i < n; i++) outcomes.push(await attempt());
    return outcomes;
  };

  it("a burst of one second's worth passes, the rest is refused with Retry-After, and it refills with time", async () => {
    const { clock, attempt } = limiter(5);
    assert.deepEqual(await attempts(attempt, 7), ['ok', 'ok', 'ok', 'ok', 'ok', 1, 1]);
    clock.now += 100; // half a request refilled: still refused
    assert.equal(await attempt(), 1);
    clock.now += 100;
    assert.equal(await attempt(), 'ok');
    assert.equal(await attempt(), 1);
    clock.now += 10_000; // refills up to the burst, never past it
    assert.deepEqual(await attempts(attempt, 6), ['ok', 'ok', 'ok', 'ok', 'ok', 1]);
  });

  it('a rate below one request a second lets one request through every 1/rate seconds', async () => {
    const { clock, attempt } = limiter(0.5);
    assert.deepEqual(await attempts(attempt, 2), ['ok', 2]);
    clock.now += 1_000; // half a request refilled
    assert.equal(await attempt(), 1);
    clock.now += 1_000;
    assert.deepEqual(await attempts(attempt, 2), ['ok', 2]);
  });

  it('Retry-After is at least 1 second, even with less than a second to wait', async () => {
    const { clock, attempt } = limiter(2);
    assert.deepEqual(await attempts(attempt, 3), ['ok', 'ok', 1]);
    clock.now += 250; // half a request refilled: 0.25 s to go
    assert.equal(await attempt(), 1);
    clock.now += 250;
    assert.equal(await attempt(), 'ok');
  });

  it('no quota, or the root token: never limited', async () => {
    assert.deepEqual(
      await attempts(limiter(null).attempt, 50),
      Array.from({ length: 50 }, () => 'ok'),
    );
    const rootCaller = limiter(1, caller('q', true));
    assert.deepEqual(
      await attempts(rootCaller.attempt, 50),
      Array.from({ length: 50 }, () => 'ok'),
    );
  });
});

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
          requestsPerSecond: 3,
        })
      ).status,
      200,
    );
    // At 3 requests a second, 12 concurrent creates see at most 3 + 3 × (seconds they take to arrive)
    // accepted. How many are refused depends on how fast a loaded machine delivers them, so this only asks
    // that some are (bursts until one is, within a deadline); the bucket's arithmetic is checked on a fake
    // clock above.
    const burst: Awaited<ReturnType<typeof create>>[] = [];
    const names: string[] = [];
    await waitFor(async () => {
      const round = names.length;
      const batch = Array.from({ length: 12 }, (_, i) => `burst-${round + i}`);
      names.push(...batch);
      burst.push(...(await Promise.all(batch.map((name) => create(0, name, 'v')))));
      return burst.some((response) => response.status === 429);
    }, 60_000);
    const limited = burst.filter((response) => response.status === 429);
    for (const response of limited) {
      assert.equal(response.code, 'DSV_QUOTA_RATE');
      assert.ok(Number(response.retryAfter) >= 1);
    }
    for (const response of burst) assert.ok([201, 429].includes(response.status), response.body);
    // Reads count against the same rate: retry a refused read until the bucket lets it through.
    const readWhenAllowed = async (name: string) => {
      let response = await read(1, name);
      await waitFor(async () => {
        if (response.status !== 429) return true;
        response = await read(1, name);
        return response.status !== 429;
      }, 60_000);
      return response;
    };
    for (const [i, response] of burst.entries()) {
      if (response.status === 429) assert.equal((await readWhenAllowed(names[i] ?? '')).status, 404);
    }
  });
});
