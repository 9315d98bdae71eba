// The v2 OpenAPI document (DESIGN §9): generated from the routes, valid OpenAPI 3.1, served by every node
// without a token, and every documented operation answers on a real node (no 404/405).
import { compileErrors, validate } from '@readme/openapi-parser';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, unknown> };
  security?: unknown[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

describe('v2 OpenAPI document', () => {
  let test: TestCluster;
  let root = '';
  let accessor = '';
  let holdId = '';
  let doc: Document;

  const call = async (method: string, path: string, body?: unknown, text = false) => {
    const response = await fetch(`${test.urls[0]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${root}`,
        ...(body === undefined ? {} : { 'content-type': text ? 'text/plain' : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: text && typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.text() };
  };

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    // Resources the documented operations can find: a secret, a policy, a token to revoke.
    assert.equal((await call('PUT', '/v2/secrets/probe-ns/probe-name', { value: 'v' })).status, 201);
    assert.equal(
      (
        await call('PUT', '/v2/sys/policies/probe-policy', {
          rules: [{ path: 'a/*', capabilities: ['read'] }],
        })
      ).status,
      200,
    );
    const token = await call('POST', '/v2/sys/tokens', { tenant: 'default', policies: ['probe-policy'] });
    accessor = (JSON.parse(token.body) as { accessor: string }).accessor;
    // A retention hold (I-C2b) the hold routes can find, on a secret no other operation deletes.
    const hold = await call('POST', '/v2/sys/holds', {
      namespace: 'probe-ns',
      name: 'held',
      reason: 'probe',
    });
    assert.equal(hold.status, 201, hold.body);
    holdId = (JSON.parse(hold.body) as { hold: { holdId: string } }).hold.holdId;
    const response = await fetch(`${test.urls[0]}/v2/openapi.json`);
    assert.equal(response.status, 200);
    doc = (await response.json()) as Document;
  });
  after(async () => {
    await test?.stop();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const result = await validate(structuredClone(doc) as never);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
  });

  it('is served by every node without a token, and is the same document', async () => {
    for (const url of test.urls) {
      const response = await fetch(`${url}/v2/openapi.json`);
      assert.equal(response.status, 200, url);
      assert.deepEqual(await response.json(), doc);
    }
  });

  it('documents the secret, env and sys routes, with bearer auth and problem+json errors', () => {
    for (const path of [
      '/v2/secrets/{namespace}/{name}',
      '/v2/secrets/{namespace}/{name}/versions',
      '/v2/secrets/{namespace}',
      '/v2/namespaces',
      '/v2/env:transform',
      '/v2/sys/tokens',
      '/v2/sys/holds',
      '/v2/sys/holds/{holdId}',
    ]) {
      assert.ok(doc.paths[path], path);
    }
    const put = doc.paths['/v2/secrets/{namespace}/{name}']?.put;
    const headers = (put?.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
    assert.deepEqual(headers.sort(), ['idempotency-key', 'if-match', 'if-none-match']);
    const text = JSON.stringify(doc);
    assert.match(text, /application\/problem\+json/);
    assert.match(text, /"bearer"/);
  });

  it('every documented path and method answers on a real node (neither 404 nor 405)', async () => {
    const value = (path: string, name: string): string => {
      if (name === 'namespace') return 'probe-ns';
      if (name === 'accessor') return accessor;
      if (name === 'holdId') return holdId;
      if (name === 'name') return path.startsWith('/v2/sys/policies') ? 'probe-policy' : 'probe-name';
      if (name === 'tenant') return 'default';
      return 'x';
    };
    const bodies: Record<string, unknown> = {
      'put /v2/secrets/{namespace}/{name}': { value: 'w' },
      'post /v2/env:transform': { content: 'X=secret(probe-name)' },
      'post /v2/sys/tenants': { name: 'probe-tenant' },
      'post /v2/sys/tokens': { tenant: 'default', policies: [] },
      'put /v2/sys/policies/{name}': { rules: [{ path: 'a/*', capabilities: ['read'] }] },
      'post /v2/sys/holds': { namespace: 'probe-ns', reason: 'probe' },
    };
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({ path, method, op: item[method] })),
    );
    // Deletes last, so every other operation still finds what it names.
    operations.sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));
    assert.ok(operations.length >= 10, `only ${operations.length} operations documented`);
    for (const { path, method, op } of operations) {
      let url = path.replace(/\{([^}]+)\}/g, (_all, name: string) => encodeURIComponent(value(path, name)));
      const query = (op?.parameters ?? []).filter((p) => p.in === 'query' && p.required);
      if (query.length > 0) url += `?${query.map((p) => `${p.name}=${value(path, p.name)}`).join('&')}`;
      const body = op?.requestBody ? (bodies[`${method} ${path}`] ?? {}) : undefined;
      const response = await call(method.toUpperCase(), url, body);
      // A 404 naming a missing resource (a probe write id, say) is the route answering; only the router's
      // own 404 (DSV_ROUTE_NOT_FOUND) or a 405 means the documented operation is not served.
      const routeMissing =
        response.status === 405 || (response.status === 404 && response.body.includes('DSV_ROUTE_NOT_FOUND'));
      assert.ok(!routeMissing, `${method} ${url}: ${response.status} ${response.body}`);
      assert.ok(response.status < 500, `${method} ${url}: ${response.status} ${response.body}`);
    }
  });
});
