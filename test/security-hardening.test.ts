// Regressions for the security hardening findings (slow bodies, audit coverage and keying, history
// capability, NFC on v1, unseal secrets in the environment, file modes, request budgets, response headers).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/dev-cluster.ts';

interface Raw {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

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
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };

describe('security hardening (dev cluster with small limits)', () => {
  let test: TestCluster;
  let root = '';
  const url = () => test.urls[0] ?? '';
  before(async () => {
    test = await startTestCluster({
      nodes: 3,
      limits: {
        requestTimeoutMs: 1500,
        connectionTimeoutMs: 10_000,
        maxEnvSecrets: 3,
        maxEnvValueBytes: 64,
        maxAllVersions: 3,
      },
    });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('H1: a request whose body never finishes is cut off within requestTimeout', async () => {
    const target = new URL(url());
    const socket = connect(Number(target.port), target.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(
      'POST /api/v1/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
        'content-length: 1000\r\n\r\n{"user":"u",',
    );
    // Trickle a byte now and then, so only the whole-request timeout (not the idle one) can end it.
    const trickle = setInterval(() => socket.write(' '), 200);
    const started = Date.now();
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(trickle);
    const took = Date.now() - started;
    assert.ok(took < 5000, `closed after ${took} ms`);
    assert.match(received, /^HTTP\/1\.1 408/);
  });

  it('H1: the connection cap and timeouts come from the node config limits', () => {
    const server = test.cluster.nodesById.get('node-0');
    assert.ok(server);
    assert.equal(server.config.limits.requestTimeoutMs, 1500);
    assert.equal(server.config.limits.maxConnections, 1024);
  });

  it('H10: every public response says no-store and nosniff (success, error, 404, v2)', async () => {
    const created = await raw(
      url(),
      'POST',
      '/api/v1/secrets',
      json,
      JSON.stringify({ user: 'h10', secretName: 'k', secretValue: 'v' }),
    );
    const responses = [
      created,
      await raw(url(), 'GET', '/api/v1/secrets/k?user=h10'),
      await raw(url(), 'GET', '/api/v1/secrets/missing?user=h10'),
      await raw(url(), 'GET', '/nowhere'),
      await raw(url(), 'GET', '/health'),
      await raw(url(), 'GET', '/v2/secrets/h10/k', { authorization: `Bearer ${root}` }),
      await raw(url(), 'GET', '/v2/secrets/h10/k'),
    ];
    for (const response of responses) {
      assert.equal(response.headers['cache-control'], 'no-store', JSON.stringify(response.status));
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
    assert.equal(responses[1]?.body, 'v');
  });
});
