// GET /v2/namespaces on a production-mode cluster (issue 12): the namespaces of the caller's tenant holding a
// live secret the caller may list, ascending, paged with an opaque cursor and filtered by prefix. A namespace
// where the caller may list nothing (none of its names, or only `read`) never appears, in a page or a cursor.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

interface Page {
  readonly namespaces: string[];
  readonly next?: string;
}

describe('GET /v2/namespaces', () => {
  let test: TestCluster;
  let root = '';
  let writer = '';
  let scoped = '';

  const send = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${test.urls[0]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
    };
  };
  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const answer = await send(method, path, token, body);
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.json)}`);
    return answer.json;
  };
  const page = async (token: string, query = ''): Promise<Page> =>
    (await ok('GET', `/v2/namespaces${query}`, token)) as unknown as Page;
  /** Every page, following `next`, with `limit` per page. */
  const pages = async (token: string, query: string, limit: number): Promise<string[][]> => {
    const seen: string[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const cursorParam = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const answer = await page(token, `?limit=${limit}${query}${cursorParam}`);
      seen.push(answer.namespaces);
      if (answer.next === undefined) return seen;
      // The cursor holds only the last namespace shown, nothing the caller may not list.
      const decoded = JSON.parse(Buffer.from(answer.next, 'base64url').toString('utf8')) as { a: string };
      assert.equal(decoded.a, answer.namespaces.at(-1));
      cursor = answer.next;
    }
  };

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    await ok('POST', '/v2/sys/tenants', root, { name: 'acme' });
    await ok('PUT', '/v2/sys/policies/all?tenant=acme', root, {
      rules: [{ path: '*/*', capabilities: ['create', 'read', 'list', 'delete'] }],
    });
    await ok('PUT', '/v2/sys/policies/scoped?tenant=acme', root, {
      rules: [
        { path: 'app*/*', capabilities: ['list', 'read'] },
        // Read without list: billing is still not listable, so it is not shown.
        { path: 'billing/a', capabilities: ['read'] },
        // List of names that do not exist: ops holds none of them, so it is not shown.
        { path: 'ops/public-*', capabilities: ['list'] },
      ],
    });
    writer = String((await ok('POST', '/v2/sys/tokens', root, { tenant: 'acme', policies: ['all'] })).token);
    scoped = String(
      (await ok('POST', '/v2/sys/tokens', root, { tenant: 'acme', policies: ['scoped'] })).token,
    );
    for (const path of ['app/db', 'app/api', 'apple/x', 'billing/a', 'billing/b', 'ops/secret', 'ops2/k']) {
      await ok('PUT', `/v2/secrets/${path}`, writer, { value: 'v' });
    }
    await ok('PUT', '/v2/secrets/zeta/z', writer, { value: 'v' });
    // A namespace whose only secret was deleted holds nothing live: it is not listed.
    await ok('PUT', '/v2/secrets/gone/x', writer, { value: 'v' });
    await ok('DELETE', '/v2/secrets/gone/x', writer);
    // Another tenant's namespace (root acts on the default tenant) is never seen from acme.
    await ok('PUT', '/v2/secrets/elsewhere/x', root, { value: 'v' });
  });
  after(async () => {
    await test?.stop();
  });

  it('refuses a call without a token or with a bad one (401), and invalid paging (400)', async () => {
    const anonymous = await fetch(`${test.urls[0]}/v2/namespaces`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { code: string }).code, 'DSV_AUTH_REQUIRED');
    assert.equal((await send('GET', '/v2/namespaces', 'dsv.not-a-real-token-at-all-0000')).status, 401);
    assert.equal((await send('GET', '/v2/namespaces?limit=0', writer)).status, 400);
    assert.equal((await send('GET', '/v2/namespaces?limit=1001', writer)).status, 400);
    const badCursor = await send('GET', '/v2/namespaces?cursor=not-one-of-ours', writer);
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.json.code, 'DSV_INPUT_INVALID');
  });

  it('lists every namespace holding a live secret of the tenant, ascending', async () => {
    assert.deepEqual(await page(writer), {
      namespaces: ['app', 'apple', 'billing', 'ops', 'ops2', 'zeta'],
    });
    assert.deepEqual((await page(root)).namespaces, ['elsewhere'], 'root on its default tenant');
  });

  it('shows a scoped token only the namespaces where it may list a secret', async () => {
    assert.deepEqual(await page(scoped), { namespaces: ['app', 'apple'] });
    // Paging never hints at what follows unseen: the last allowed page has no `next`.
    assert.deepEqual(await pages(scoped, '', 1), [['app'], ['apple']]);
    assert.deepEqual(await page(scoped, '?prefix=b'), { namespaces: [] });
    assert.deepEqual(await page(scoped, '?prefix=ops'), { namespaces: [] });
  });

  it('pages with the cursor and filters by prefix', async () => {
    assert.deepEqual(await pages(writer, '', 2), [
      ['app', 'apple'],
      ['billing', 'ops'],
      ['ops2', 'zeta'],
    ]);
    assert.deepEqual(await pages(writer, '&prefix=app', 1), [['app'], ['apple']]);
    assert.deepEqual(await page(writer, '?prefix=ops'), { namespaces: ['ops', 'ops2'] });
    assert.deepEqual(await page(writer, '?prefix=opsx'), { namespaces: [] });
    assert.deepEqual(await page(writer, '?prefix=g'), { namespaces: [] }, 'deleted: nothing live');
  });
});
