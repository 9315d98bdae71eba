// The v2 secret API end to end on a 3-node production-mode cluster (DESIGN §9–§11): conditional and
// idempotent writes decided by the log, reads by version and as of a time on every node, version
// metadata, listing filtered by policy, delete, the .env transform, problem+json errors, 401/403.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seg = encodeURIComponent;

describe('v2 secrets API', () => {
  let test: TestCluster;
  let root = '';
  const url = (i: number) => test.urls[i] ?? '';

  async function call(
    node: number,
    method: string,
    path: string,
    options: { token?: string | null; body?: unknown; headers?: Record<string, string>; text?: boolean } = {},
  ): Promise<Reply> {
    const token = options.token === undefined ? root : options.token;
    const body = options.body;
    const response = await fetch(`${url(node)}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': options.text ? 'text/plain' : 'application/json' }),
        ...options.headers,
      },
      ...(body === undefined
        ? {}
        : { body: options.text && typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // text bodies (env transform) and empty 204s
    }
    return { status: response.status, headers: response.headers, text, json };
  }
  const put = (node: number, path: string, value: string, headers: Record<string, string> = {}) =>
    call(node, 'PUT', `/v2/secrets/${path}`, { body: { value }, headers });
  const get = (node: number, path: string, token?: string) =>
    call(node, 'GET', `/v2/secrets/${path}`, token === undefined ? {} : { token });

  async function tenantToken(tenant: string, policy: string, rules: unknown[]): Promise<string> {
    await call(0, 'POST', '/v2/sys/tenants', { body: { name: tenant } });
    const stored = await call(1, 'PUT', `/v2/sys/policies/${policy}?tenant=${tenant}`, { body: { rules } });
    assert.equal(stored.status, 200, stored.text);
    const created = await call(2, 'POST', '/v2/sys/tokens', { body: { tenant, policies: [policy] } });
    assert.equal(created.status, 201, created.text);
    return String(created.json.token);
  }

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('PUT creates (201), updates (200), answers an unchanged value without a new version; ETag = version', async () => {
    const created = await put(0, 'app/db', 'one');
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json, { version: 1, created: true });
    assert.equal(created.headers.get('etag'), '"1"');
    assert.equal(created.headers.get('location'), '/v2/secrets/app/db');
    const updated = await put(1, 'app/db', 'two');
    assert.deepEqual([updated.status, updated.json], [200, { version: 2 }]);
    assert.equal(updated.headers.get('etag'), '"2"');
    const same = await put(2, 'app/db', 'two');
    assert.deepEqual([same.status, same.json], [200, { version: 2, unchanged: true }]);
    const read = await get(2, 'app/db');
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('cache-control'), 'no-store');
    assert.equal(read.headers.get('etag'), '"2"');
    assert.deepEqual(
      { ...read.json, validFrom: typeof read.json.validFrom },
      { namespace: 'app', name: 'db', value: 'two', version: 2, validFrom: 'string', validTo: null },
    );
  });

  it('If-None-Match: * creates only: 409 DSV_SECRET_EXISTS on every node when present', async () => {
    assert.equal((await put(0, 'app/only', 'a', { 'if-none-match': '*' })).status, 201);
    for (const node of [0, 1, 2]) {
      const again = await put(node, 'app/only', 'b', { 'if-none-match': '*' });
      assert.deepEqual([again.status, again.json.code], [409, 'DSV_SECRET_EXISTS'], `node-${node}`);
    }
    assert.equal((await get(1, 'app/only')).json.value, 'a');
  });

  it('If-Match compare-and-set: matches update, a stale version or a missing secret is 412', async () => {
    await put(0, 'app/cas', 'v1');
    const ok = await put(1, 'app/cas', 'v2', { 'if-match': '"1"' });
    assert.deepEqual([ok.status, ok.json], [200, { version: 2 }]);
    const stale = await put(2, 'app/cas', 'v3', { 'if-match': '"1"' });
    assert.deepEqual([stale.status, stale.json.code], [412, 'DSV_PRECONDITION_FAILED']);
    const list = await put(0, 'app/cas', 'v3', { 'if-match': '"7", "2"' });
    assert.deepEqual([list.status, list.json.version], [200, 3]);
    assert.equal((await put(0, 'app/cas-missing', 'x', { 'if-match': '"1"' })).status, 412);
    assert.equal((await put(0, 'app/cas-missing', 'x', { 'if-match': '*' })).status, 412);
    assert.equal((await put(0, 'app/cas', 'v4', { 'if-match': '*' })).status, 200);
    const both = await put(0, 'app/cas', 'x', { 'if-match': '"4"', 'if-none-match': '*' });
    assert.equal(both.status, 400);
  });

  it('compare-and-set races are decided by the log: of two writers on one version, exactly one wins', async () => {
    await put(0, 'app/race', 'start');
    for (let round = 1; round <= 5; round++) {
      const results = await Promise.all(
        [0, 1, 2].map((node) => put(node, 'app/race', `r${round}-n${node}`, { 'if-match': `"${round}"` })),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 200).length, 1, `round ${round}: ${statuses.join(',')}`);
      assert.ok(
        statuses.every((s) => s === 200 || s === 409 || s === 412),
        statuses.join(','),
      );
      const versions = await call(1, 'GET', '/v2/secrets/app/race/versions');
      assert.equal((versions.json.versions as unknown[]).length, round + 1);
    }
  });

  it('concurrent unconditional PUTs of a new name: exactly one creates, no request fails with 404/409 EXISTS', async () => {
    for (let round = 1; round <= 3; round++) {
      const results = await Promise.all(
        [0, 1, 2].map((node) => put(node, `app/upsert-${round}`, `n${node}`)),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
      for (const result of results) {
        // A lost create becomes an update; only a write still pending on the key may answer 409 CONFLICT.
        assert.ok(
          result.status === 200 || result.status === 201 || result.json.code === 'DSV_WRITE_CONFLICT',
          result.text,
        );
      }
    }
  });

  it('the same Idempotency-Key twice (on two nodes) gives the same answer and one version', async () => {
    const first = await put(0, 'app/idem', 'a', { 'idempotency-key': 'put-idem-1' });
    const retry = await put(2, 'app/idem', 'a', { 'idempotency-key': 'put-idem-1' });
    assert.deepEqual([first.status, first.json], [201, { version: 1, created: true }]);
    assert.deepEqual([retry.status, retry.json], [201, { version: 1, created: true }]);
    const update = await put(1, 'app/idem', 'b', { 'idempotency-key': 'put-idem-2' });
    const updateRetry = await put(0, 'app/idem', 'b', { 'idempotency-key': 'put-idem-2' });
    assert.deepEqual([update.json, updateRetry.json], [{ version: 2 }, { version: 2 }]);
    // A retried compare-and-set answers as the first did, not 412 (the version moved because of itself).
    const cas = await put(1, 'app/idem', 'c', { 'if-match': '"2"', 'idempotency-key': 'put-idem-3' });
    const casRetry = await put(2, 'app/idem', 'c', { 'if-match': '"2"', 'idempotency-key': 'put-idem-3' });
    assert.deepEqual([cas.status, casRetry.status, casRetry.json.version], [200, 200, 3]);
    const versions = await call(0, 'GET', '/v2/secrets/app/idem/versions');
    assert.deepEqual(
      (versions.json.versions as Array<{ version: number }>).map((v) => v.version),
      [1, 2, 3],
    );
  });

  it('reads ?version=N and ?asOf=<time> return the version valid at that instant, on every node', async () => {
    const before = new Date(Date.now() - 1).toISOString();
    await sleep(5);
    assert.equal((await put(0, 'app/asof', 'first')).status, 201);
    const between = new Date().toISOString();
    await sleep(20);
    assert.equal((await put(1, 'app/asof', 'second')).status, 200);
    for (const node of [0, 1, 2]) {
      const old = await get(node, `app/asof?asOf=${seg(between)}`);
      assert.deepEqual([old.status, old.json.value, old.json.version], [200, 'first', 1], `node-${node}`);
      assert.equal(old.headers.get('etag'), '"1"');
      const now = await get(node, `app/asof?asOf=${seg(new Date().toISOString())}`);
      assert.deepEqual([now.json.value, now.json.validTo], ['second', null]);
      const pinned = await get(node, 'app/asof?version=1');
      assert.equal(pinned.json.value, 'first');
      assert.equal(pinned.json.validTo, now.json.validFrom, 'v1 ends where v2 begins');
      const early = await get(node, `app/asof?asOf=${seg(before)}`);
      assert.deepEqual([early.status, early.json.code], [404, 'DSV_SECRET_NOT_FOUND']);
      // An offset form of the same instant reads the same version.
      const offset = new Date(Date.parse(between)).toISOString().replace('Z', '+00:00');
      assert.equal((await get(node, `app/asof?asOf=${seg(offset)}`)).json.version, 1);
    }
    assert.equal((await get(0, 'app/asof?version=3')).status, 404);
    assert.equal((await get(0, `app/asof?version=1&asOf=${seg(between)}`)).status, 400);
    assert.equal((await get(0, 'app/asof?asOf=yesterday')).status, 400);
  });

  it('versions lists metadata only (no values), oldest first, with contiguous validity intervals', async () => {
    const response = await call(2, 'GET', '/v2/secrets/app/cas/versions');
    assert.equal(response.status, 200);
    assert.doesNotMatch(response.text, /"value"|v1|v2|v3/);
    const versions = response.json.versions as Array<{
      version: number;
      validFrom: string;
      validTo: string | null;
    }>;
    assert.deepEqual(
      versions.map((v) => v.version),
      [1, 2, 3, 4],
    );
    for (let i = 1; i < versions.length; i++) assert.equal(versions[i - 1]?.validTo, versions[i]?.validFrom);
    assert.equal(versions.at(-1)?.validTo, null);
  });

  it('names are single percent-encoded segments (%2F is part of the name), canonicalised to NFC', async () => {
    assert.equal((await put(0, `${seg('team/a')}/${seg('db/password')}`, 'p')).status, 201);
    const read = await get(1, `${seg('team/a')}/${seg('db/password')}`);
    assert.deepEqual([read.json.namespace, read.json.name, read.json.value], ['team/a', 'db/password', 'p']);
    assert.equal((await get(1, 'team/a/db/password')).status, 404);
    const nfd = 'cafe\u0301';
    assert.equal((await put(0, `app/${seg(nfd)}`, 'decomposed')).status, 201);
    const nfc = await get(2, `app/${seg('caf\u00e9')}`);
    assert.deepEqual([nfc.json.value, nfc.json.name], ['decomposed', 'caf\u00e9']);
    // A name longer than the router's parameter limit still reaches the same routes.
    const long = 'x/'.repeat(200) + 'end';
    assert.equal((await put(0, `app/${seg(long)}`, 'long')).status, 201);
    assert.equal((await get(1, `app/${seg(long)}`)).json.value, 'long');
    assert.equal((await call(2, 'GET', `/v2/secrets/app/${seg(long)}/versions`)).status, 200);
    assert.equal((await get(1, `app/${seg(long)}?version=x`)).status, 400);
  });

  it('list is paginated and shows only names the caller may list (never in names, never in the cursor)', async () => {
    const lister = await tenantToken('listco', 'lister', [
      { namespace: 'team', name: 'a*', capabilities: ['list', 'read'] },
    ]);
    const writer = await tenantToken('listco', 'writer', [{ path: 'team/*', capabilities: ['create'] }]);
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'secret-x', 'a/slash']) {
      const response = await call(0, 'PUT', `/v2/secrets/team/${seg(name)}`, {
        token: writer,
        body: { value: 'v' },
      });
      assert.equal(response.status, 201, response.text);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = `limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call(pages % 3, 'GET', `/v2/secrets/team?${query}`, { token: lister });
      assert.equal(page.status, 200, page.text);
      const names = page.json.names as string[];
      assert.ok(names.length <= 2);
      seen.push(...names);
      cursor = page.json.next as string | undefined;
      if (cursor) assert.doesNotMatch(Buffer.from(cursor, 'base64url').toString(), /b1|secret-x/);
      pages++;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, ['a/slash', 'a1', 'a2', 'a3', 'a4', 'a5']);
    assert.equal(pages, 3, 'next is absent on the last page');
    const prefixed = await call(1, 'GET', '/v2/secrets/team?prefix=a4', { token: lister });
    assert.deepEqual(prefixed.json, { names: ['a4'] });
    const other = await call(1, 'GET', '/v2/secrets/ops', { token: lister });
    assert.deepEqual([other.status, other.json.names], [200, []]);
    const noList = await call(1, 'GET', '/v2/secrets/team', { token: writer });
    assert.deepEqual(noList.json, { names: [] });
    const bad = await call(1, 'GET', '/v2/secrets/team?cursor=not-a-cursor', { token: lister });
    assert.deepEqual([bad.status, bad.json.code], [400, 'DSV_INPUT_INVALID']);
    // Root (default tenant) sees its own namespace, not listco's.
    assert.deepEqual((await call(2, 'GET', '/v2/secrets/team')).json, { names: [] });
  });

  it('DELETE answers 204, then the secret is gone on every node; If-Match guards it', async () => {
    await put(0, 'app/gone', 'bye');
    const guarded = await call(1, 'DELETE', '/v2/secrets/app/gone', { headers: { 'if-match': '"9"' } });
    assert.deepEqual([guarded.status, guarded.json.code], [412, 'DSV_PRECONDITION_FAILED']);
    const deleted = await call(1, 'DELETE', '/v2/secrets/app/gone', { headers: { 'if-match': '"1"' } });
    assert.equal(deleted.status, 204);
    for (const node of [0, 1, 2]) {
      assert.equal((await get(node, 'app/gone')).status, 404);
      assert.equal((await call(node, 'GET', '/v2/secrets/app/gone/versions')).status, 404);
    }
    assert.equal((await call(2, 'DELETE', '/v2/secrets/app/gone')).status, 404);
    const recreated = await put(0, 'app/gone', 'again');
    assert.deepEqual([recreated.status, recreated.json], [201, { version: 1, created: true }]);
  });

  it('POST /v2/env:transform: text in, text out; JSON in, JSON out; all-or-nothing', async () => {
    await put(0, 'envns/DB_PASSWORD', 's3cret');
    const text = await call(1, 'POST', '/v2/env:transform?namespace=envns', {
      body: '# config\nAPI_KEY=enc(abc123)\nDB=secret(DB_PASSWORD)',
      text: true,
    });
    assert.equal(text.status, 200, text.text);
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(text.headers.get('cache-control'), 'no-store');
    assert.equal(text.text, 'API_KEY=secret(API_KEY)\nDB=s3cret');
    assert.equal((await get(2, 'envns/API_KEY')).json.value, 'abc123');
    const json = await call(2, 'POST', '/v2/env:transform?namespace=envns', {
      body: { content: 'A=secret(API_KEY)\nB=secret(DB_PASSWORD, version=1)' },
    });
    assert.deepEqual([json.status, json.json], [200, { content: 'A=abc123\nB=s3cret' }]);
    const conflict = await call(0, 'POST', '/v2/env:transform?namespace=envns', {
      body: 'NEW_ONE=enc(x)\nAPI_KEY=enc(y)',
      text: true,
    });
    assert.deepEqual([conflict.status, conflict.json.code], [409, 'DSV_SECRET_EXISTS']);
    assert.equal((await get(1, 'envns/NEW_ONE')).status, 404, 'nothing written');
    const invalid = await call(0, 'POST', '/v2/env:transform?namespace=envns', { body: 'NOPE', text: true });
    assert.deepEqual([invalid.status, invalid.json.code], [400, 'DSV_ENV_INVALID']);
    const noNamespace = await call(0, 'POST', '/v2/env:transform', { body: 'A=enc(x)', text: true });
    assert.equal(noNamespace.status, 400);
  });

  it('errors are problem+json with the stable code, and never carry the value', async () => {
    const response = await call(0, 'GET', '/v2/secrets/app/never-written');
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(response.headers.get('x-dsv-error-code'), 'DSV_SECRET_NOT_FOUND');
    assert.deepEqual(Object.keys(response.json).sort(), [
      'code',
      'detail',
      'instance',
      'status',
      'title',
      'type',
    ]);
    assert.deepEqual([response.json.status, response.json.code], [404, 'DSV_SECRET_NOT_FOUND']);
    assert.equal(response.json.type, 'https://dsv.dev/errors/DSV_SECRET_NOT_FOUND');
    const invalid = await call(0, 'PUT', '/v2/secrets/app/x', { body: { vaule: 'hunter2' } });
    assert.deepEqual([invalid.status, invalid.json.code], [400, 'DSV_INPUT_INVALID']);
    assert.doesNotMatch(invalid.text, /hunter2/);
    assert.match(String(invalid.json.detail), /required property 'value'/);
    const tooBig = await put(0, 'app/big', 'x'.repeat(64 * 1024 + 1));
    assert.deepEqual([tooBig.status, tooBig.json.code], [413, 'DSV_VALUE_TOO_LARGE']);
    const unknown = await call(0, 'GET', '/v2/nowhere');
    assert.deepEqual([unknown.status, unknown.json.code], [404, 'DSV_ROUTE_NOT_FOUND']);
  });

  it('I-G1/I-T1/I-T2: 401 without a token (before validation), 403 without the capability, no cross-tenant reads', async () => {
    for (const [method, path] of [
      ['GET', '/v2/secrets/app/db'],
      ['PUT', '/v2/secrets/app/db'],
      ['GET', '/v2/secrets/app'],
      ['DELETE', '/v2/secrets/app/db'],
      ['GET', '/v2/secrets/app/db/versions'],
      ['POST', '/v2/env:transform'],
    ] as const) {
      const response = await call(1, method, path, {
        token: null,
        body: method === 'PUT' ? { nonsense: 1 } : undefined,
      });
      assert.deepEqual(
        [response.status, response.json.code],
        [401, 'DSV_AUTH_REQUIRED'],
        `${method} ${path}`,
      );
    }
    assert.equal((await call(1, 'GET', '/v2/secrets/app/db', { token: 'dsv.bogus' })).status, 401);
    const token = await tenantToken('acme2', 'reader', [{ path: 'app/*', capabilities: ['read'] }]);
    const denied = await call(0, 'PUT', '/v2/secrets/app/db', { token, body: { value: 'x' } });
    assert.deepEqual([denied.status, denied.json.code], [403, 'DSV_AUTH_FORBIDDEN']);
    assert.equal((await call(0, 'GET', '/v2/secrets/app/db/versions', { token })).status, 403);
    assert.equal((await call(0, 'DELETE', '/v2/secrets/app/db', { token })).status, 403);
    const envDenied = await call(0, 'POST', '/v2/env:transform?namespace=app', {
      token,
      body: 'A=enc(x)',
      text: true,
    });
    assert.equal(envDenied.status, 403);
    // app/db exists in the default tenant; acme2's token reads its own (empty) tenant: 404, no value.
    const cross = await get(2, 'app/db', token);
    assert.equal(cross.status, 404);
    assert.doesNotMatch(cross.text, /two/);
  });
});
