// Findings of an HTTP fuzzing pass (malformed input on every public route). Each test fails while the bug is
// present: bad input must get a stable 4xx code, never a 500, and never a 503 that blames the cluster.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

describe('input hardening (an HTTP fuzzing pass)', () => {
  let test: TestCluster;
  let root: string;
  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  const call = async (
    method: string,
    path: string,
    options: { body?: string; type?: string; auth?: boolean } = {},
  ) => {
    const response = await fetch(`${test.urls[0] ?? ''}${path}`, {
      method,
      headers: {
        ...(options.auth === false ? {} : { authorization: `Bearer ${root}` }),
        ...(options.body === undefined ? {} : { 'content-type': options.type ?? 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const text = await response.text();
    return { status: response.status, code: response.headers.get('x-dsv-error-code'), text };
  };

  it('PUT /v2/sys/policies/{name} with a null rule is a 400, not a 500', async () => {
    for (const body of ['{"rules":[null]}', '{"rules":[{"path":"app/*","capabilities":["read"]},null]}']) {
      const answer = await call('PUT', '/v2/sys/policies/fuzz-null-rule', { body });
      assert.equal(answer.status, 400, `${body} → ${answer.status} ${answer.text}`);
      assert.equal(answer.code, 'DSV_INPUT_INVALID');
    }
  });

  it('a .env key longer than the name limit is a 400, not a 503 DSV_LOG_IDENTITY_CHANGED', async () => {
    const file = `${'k'.repeat(1025)}=enc(S3CR3T-MARKER-env-long)`;
    const v2 = await call('POST', '/v2/env:transform?namespace=fuzz-env', { body: file, type: 'text/plain' });
    assert.equal(v2.status, 400, `v2 → ${v2.status} ${v2.code} ${v2.text}`);
    assert.equal(v2.code, 'DSV_INPUT_INVALID');
    assert.doesNotMatch(v2.text, /S3CR3T-MARKER/);
    const v1 = await call('POST', '/api/v1/secrets/env?user=fuzz-env', { body: file, type: 'text/plain' });
    assert.equal(v1.status, 400, `v1 → ${v1.status} ${v1.code} ${v1.text}`);
    assert.equal(v1.code, 'DSV_INPUT_INVALID');
    // The same name is refused up front by the plain v1 create (the limit is 1024).
    const create = await call('POST', '/api/v1/secrets', {
      body: JSON.stringify({ user: 'fuzz-env', secretName: 'k'.repeat(1025), secretValue: 'x' }),
    });
    assert.equal(create.status, 400);
  });

  it('shred and key rotation of an ill-formed tenant name are a 4xx, not a 503 quorum failure', async () => {
    for (const tenant of ['zz%00', `zz${'x'.repeat(2000)}`]) {
      const shred = await call('POST', `/api/admin/tenants/${tenant}/shred`);
      assert.ok(
        shred.status >= 400 && shred.status < 500,
        `shred ${tenant.slice(0, 12)} → ${shred.status} ${shred.code}`,
      );
    }
    for (const tenant of ['zz\u0000', `zz${'x'.repeat(2000)}`]) {
      const rotate = await call('POST', '/api/admin/keys/rotate', { body: JSON.stringify({ tenant }) });
      assert.ok(
        rotate.status >= 400 && rotate.status < 500,
        `rotate ${JSON.stringify(tenant.slice(0, 12))} → ${rotate.status} ${rotate.code}`,
      );
    }
  });

  it('only a tenant that exists is shredded, and a shredded name is never created again', async () => {
    // Shredding a name no tenant has is refused, so no tenant created later under it is born shredded.
    const unknown = await call('POST', '/api/admin/tenants/fuzz-not-yet/shred');
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.code, 'DSV_INPUT_INVALID');
    const created = await call('POST', '/v2/sys/tenants', { body: JSON.stringify({ name: 'fuzz-not-yet' }) });
    assert.equal(created.status, 201, created.text);
    let list = JSON.parse((await call('GET', '/v2/sys/tenants')).text) as { shredded: string[] };
    assert.ok(!list.shredded.includes('fuzz-not-yet'), 'a tenant answered 201 is not shredded');
    // A shredded tenant's name stays taken: creating it again is 410, not a 201 for a tenant refusing writes.
    const shred = await call('POST', '/api/admin/tenants/fuzz-not-yet/shred');
    assert.equal(shred.status, 200, shred.text);
    const again = await call('POST', '/v2/sys/tenants', { body: JSON.stringify({ name: 'fuzz-not-yet' }) });
    assert.equal(again.status, 410, again.text);
    assert.equal(again.code, 'DSV_TENANT_SHREDDED');
    list = JSON.parse((await call('GET', '/v2/sys/tenants')).text) as { shredded: string[] };
    assert.ok(list.shredded.includes('fuzz-not-yet'));
  });

  /** Raw bytes to the public port (what no HTTP client would send), and the raw answer. */
  const raw = (request: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(test.urls[0] ?? '');
      const socket = connect(Number(port), hostname, () => socket.end(request));
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    });

  it('what node:http refuses before any route (a NUL in the path, headers over the limit) has a DSV code too', async () => {
    const nul = await raw('GET /api/v1/secrets/a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(nul, /^HTTP\/1\.1 400 /);
    assert.match(nul, /\r\nx-dsv-error-code: DSV_INPUT_INVALID\r\n/i);
    assert.match(nul, /"code":"DSV_INPUT_INVALID"/);
    const big = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.match(big, /\r\nx-dsv-error-code: DSV_HEADERS_TOO_LARGE\r\n/i);
    assert.doesNotMatch(big, /aaaa/, 'nothing of the request is echoed');
  });
});
