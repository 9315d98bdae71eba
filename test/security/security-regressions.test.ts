// Regressions for the security review of 2026-11-22 (F1–F5): each was reproduced against a live cluster.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

interface Raw {
  status: number;
  body: string;
}

/** node:http, so the path, Host and Origin are exactly what an attacker sends (fetch would normalise). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Raw> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('security regressions (dev mode)', () => {
  let test: TestCluster;
  let root = '';
  const url = () => test.urls[0] ?? '';
  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('F1: a token-less call cannot reach v2 by spelling the path differently (%76 for v)', async () => {
    const json = { 'content-type': 'application/json' };
    const created = await raw(
      url(),
      'POST',
      '/%762/sys/tokens',
      json,
      JSON.stringify({ tenant: 'default', policies: [] }),
    );
    assert.equal(created.status, 401);
    assert.doesNotMatch(created.body, /"token"/);
    assert.equal((await raw(url(), 'GET', '/%762/sys/tokens/self')).status, 401);
    assert.equal((await raw(url(), 'GET', '/v2/sys/tenants')).status, 401);
  });

  it('F2/F3: dev node control and administration need the root token, in dev mode too', async () => {
    assert.equal((await raw(url(), 'POST', '/api/dev/nodes/node-1/stop')).status, 401);
    assert.equal(test.cluster.nodesById.get('node-1')?.isRunning, true);
    assert.equal(
      (await raw(url(), 'POST', '/api/admin/tenants/default/shred', { 'content-type': 'text/plain' }, 'x'))
        .status,
      401,
    );
    assert.equal((await raw(url(), 'POST', '/api/admin/keys/rotate')).status, 401);
    assert.equal(
      (await raw(url(), 'GET', '/api/dev/nodes', { authorization: `Bearer ${root}` })).status,
      200,
    );
  });

  it('F3: token-less v1 calls are refused from a web page (Origin) or a non-loopback Host (DNS rebinding)', async () => {
    const env = { 'content-type': 'text/plain' };
    const fromPage = await raw(
      url(),
      'POST',
      '/api/v1/secrets/env?user=u',
      { ...env, origin: 'https://evil.example' },
      'A=new:evil',
    );
    assert.equal(fromPage.status, 401);
    const rebound = await raw(url(), 'GET', '/api/v1/secrets/A?user=u', { host: 'evil.example:8080' });
    assert.equal(rebound.status, 401);
    // A local tool (no Origin, loopback Host) still works anonymously on v1, and nothing above was written.
    assert.equal((await raw(url(), 'GET', '/api/v1/secrets/A?user=u')).status, 404);
  });

  it('F4: POST /v2/env:transform without a body is a 400, not a 500', async () => {
    const response = await raw(url(), 'POST', '/v2/env:transform?namespace=ns', {
      authorization: `Bearer ${root}`,
    });
    assert.equal(response.status, 400);
  });

  it('F5: a multipart .env request without a boundary is a 400, not a 500', async () => {
    const response = await raw(
      url(),
      'POST',
      '/api/v1/secrets/env?user=u',
      { 'content-type': 'multipart/form-data' },
      'x',
    );
    assert.equal(response.status, 400);
  });
});

describe('security regressions (production mode)', () => {
  it('F2: a production node does not serve the dev node-control routes at all', async () => {
    const test = await startTestCluster({ nodes: 3, devMode: false });
    try {
      const root = await test.cluster.issueDevRootToken();
      const response = await raw(test.urls[0] ?? '', 'POST', '/api/dev/nodes/node-1/stop', {
        authorization: `Bearer ${root}`,
      });
      assert.equal(response.status, 404);
      assert.equal(test.cluster.nodesById.get('node-1')?.isRunning, true);
    } finally {
      await test.stop();
    }
  });
});
