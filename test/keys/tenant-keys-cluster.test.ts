// Tenant-held keys end to end (I-K6, I-K7) on an in-process 3-node cluster over HTTP: the key is set through the
// log by the tenant's admin only, every node wraps the tenant's DEKs under it, a tenant whose KMS fails answers
// 503 DSV_TENANT_KEY_UNAVAILABLE while another tenant is untouched, a new key takes new writes, a retention hold
// refuses a revocation through DSV, and a revocation destroys the tenant's keys and shards on every node. The
// tenant's "KMS" here is a local key file per key (the `local` provider); the process test uses moto.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { DevCluster } from '../../src/node/dev-cluster.ts';
import { createLogger } from '../../src/node/logger.ts';
import { ensureDevKeyFile, envelopeSealer, type SealerFactory } from '../../src/node/sealers.ts';
import { freePortRange } from '../testing/free-ports.ts';
import { waitFor } from '../testing/wait.ts';

const CACHE_MS = 300;

interface Answer {
  status: number;
  code: string | null;
  json: Record<string, unknown>;
}

describe('tenant-held keys on a cluster', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-tenant-keys-'));
  const keyFile = (ref: string) => join(dataDir, `${ref}.kms-key`);
  let cluster: DevCluster;
  let urls: string[] = [];
  let root = '';
  const tokens = new Map<string, string>();

  const call = async (node: number, method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${urls[node] ?? ''}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    return {
      status: response.status,
      code: typeof json.code === 'string' ? json.code : null,
      json,
    } satisfies Answer;
  };
  const token = (tenant: string) => tokens.get(tenant) ?? '';
  const write = (node: number, tenant: string, name: string, value: string) =>
    call(node, 'PUT', `/v2/secrets/app/${name}`, token(tenant), { value });
  const read = (node: number, tenant: string, name: string) =>
    call(node, 'GET', `/v2/secrets/app/${name}`, token(tenant));
  const valueOf = (answer: Answer) => answer.json.value;
  const liveRows = (node: number, table: 'keys_deks' | 'shards', tenant: string) => {
    const db = new DatabaseSync(join(dataDir, `node-${node}`, 'node.sqlite'), { readOnly: true });
    try {
      const state = table === 'keys_deks' ? ` AND state != 'destroyed'` : '';
      return (
        db.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant = ?${state}`).get(tenant) as { n: number }
      ).n;
    } finally {
      db.close();
    }
  };

  before(async () => {
    for (const ref of ['acme-1', 'acme-2', 'gamma-1']) {
      writeFileSync(keyFile(ref), randomBytes(32), { mode: 0o600 });
    }
    const nodeKek = envelopeSealer({
      kind: 'key-file',
      path: ensureDevKeyFile(join(dataDir, 'dev-kek.key')),
    });
    // Each node's config maps acme's refs to how it reaches them (I-K6: never the log's say).
    const sealer: SealerFactory = (db, config, tenants) =>
      nodeKek(
        db,
        {
          ...config,
          tenantKeyCacheMs: CACHE_MS,
          tenantKeks: ['acme-1', 'acme-2', 'gamma-1'].map((ref) => ({
            tenant: ref.split('-')[0] ?? '',
            provider: 'local' as const,
            keyRef: ref,
            keyFile: keyFile(ref),
          })),
        },
        tenants,
      );
    cluster = await DevCluster.start({
      nodes: 3,
      basePort: await freePortRange(3),
      peerBasePort: await freePortRange(3),
      dataDir,
      logger: createLogger({ level: process.env.DSV_TEST_LOG_LEVEL ?? 'silent' }),
      sealer,
      devMode: false,
      membershipIntervalMs: 200,
      pendingWriteMs: 3000,
    });
    urls = cluster.urls();
    await cluster.awaitMembership(10_000);
    root = await cluster.issueDevRootToken();
    for (const tenant of ['acme', 'beta', 'gamma']) {
      assert.equal((await call(0, 'POST', '/v2/sys/tenants', root, { name: tenant })).status, 201);
      const policy = await call(0, 'PUT', `/v2/sys/policies/owner?tenant=${tenant}`, root, {
        rules: [
          { path: '*/*', capabilities: ['read', 'create', 'update', 'delete', 'list', 'admin', 'hold'] },
        ],
      });
      assert.equal(policy.status, 200, JSON.stringify(policy.json));
      const created = await call(0, 'POST', '/v2/sys/tokens', root, { tenant, policies: ['owner'] });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      tokens.set(tenant, created.json.token as string);
    }
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("I-K6: only the tenant's admin (or root) sets its key, through the log; every node then wraps its DEKs under it", async () => {
    const foreign = await call(0, 'PUT', '/v2/sys/tenant-key?tenant=acme', token('beta'), {
      provider: 'local',
      keyRef: 'acme-1',
    });
    assert.deepEqual([foreign.status, foreign.code], [403, 'DSV_AUTH_FORBIDDEN']);
    const unknown = await call(0, 'PUT', '/v2/sys/tenant-key', token('acme'), {
      provider: 'local',
      keyRef: 'nope',
    });
    assert.deepEqual([unknown.status, unknown.code], [400, 'DSV_TENANT_KEY_UNKNOWN']);

    const set = await call(1, 'PUT', '/v2/sys/tenant-key', token('acme'), {
      provider: 'local',
      keyRef: 'acme-1',
    });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.deepEqual(set.json.confirmedNodes, ['node-0', 'node-1', 'node-2']);
    for (const [i, tenant] of ['acme', 'beta', 'acme', 'beta'].entries()) {
      const put = await write(i % 3, tenant, `s${i}`, `${tenant} value ${i}`);
      assert.equal(put.status, 201, JSON.stringify(put.json));
    }
    for (const node of [0, 1, 2]) {
      const status = await call(node, 'GET', '/v2/sys/tenant-key', token('acme'));
      assert.equal(status.status, 200);
      const body = status.json as {
        key: { provider: string; keyRef: string };
        usable: boolean;
        layers: { tenantKey: Record<string, number> };
      };
      assert.deepEqual([body.key.provider, body.key.keyRef, body.usable], ['local', 'acme-1', true]);
      assert.ok((body.layers.tenantKey['local:acme-1'] ?? 0) >= 1, `node-${node}: ${JSON.stringify(body)}`);
      assert.equal(valueOf(await read(node, 'acme', 's0')), 'acme value 0');
    }
    const beta = await call(0, 'GET', '/v2/sys/tenant-key', token('beta'));
    assert.deepEqual([beta.status, beta.json.key], [200, null]);
  });

  it("I-K7: the tenant's KMS refusing answers 503 DSV_TENANT_KEY_UNAVAILABLE for that tenant only, within the cache bound", async () => {
    renameSync(keyFile('acme-1'), `${keyFile('acme-1')}.away`);
    try {
      await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 50));
      for (const node of [0, 1, 2]) {
        const denied = await read(node, 'acme', 's0');
        assert.deepEqual([denied.status, denied.code], [503, 'DSV_TENANT_KEY_UNAVAILABLE'], `node-${node}`);
        const refused = await write(node, 'acme', 'during', 'x');
        assert.deepEqual([refused.status, refused.code], [503, 'DSV_TENANT_KEY_UNAVAILABLE']);
        assert.equal(valueOf(await read(node, 'beta', 's1')), 'beta value 1');
      }
      assert.equal((await write(0, 'beta', 'during', 'fine')).status, 201);
      // Client-side mode: the version a client would fetch shards of is not even resolved for it.
      const resolved = await call(1, 'GET', '/v2/client-side/resolve/app/s0', token('acme'));
      assert.deepEqual([resolved.status, resolved.code], [503, 'DSV_TENANT_KEY_UNAVAILABLE']);
      assert.equal((await call(1, 'GET', '/v2/client-side/resolve/app/s1', token('beta'))).status, 200);
      const status = await call(0, 'GET', '/v2/sys/tenant-key', token('acme'));
      assert.deepEqual(status.json.error, { code: 'DSV_TENANT_KEY_UNAVAILABLE', reason: 'key-unusable' });
    } finally {
      renameSync(`${keyFile('acme-1')}.away`, keyFile('acme-1'));
    }
    await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 50));
    assert.equal(valueOf(await read(2, 'acme', 's2')), 'acme value 2');
  });

  it('I-K6: a new tenant key takes new writes on every node; data under the old key still reads', async () => {
    const set = await call(0, 'PUT', '/v2/sys/tenant-key', token('acme'), {
      provider: 'local',
      keyRef: 'acme-2',
    });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal((await write(1, 'acme', 'after', 'under acme-2')).status, 201);
    for (const node of [0, 1, 2]) {
      const status = await call(node, 'GET', '/v2/sys/tenant-key', token('acme'));
      const layers = (status.json as { layers: { tenantKey: Record<string, number> } }).layers.tenantKey;
      assert.ok((layers['local:acme-2'] ?? 0) >= 1, `node-${node}: ${JSON.stringify(layers)}`);
      assert.equal(valueOf(await read(node, 'acme', 'after')), 'under acme-2');
      assert.equal(valueOf(await read(node, 'acme', 's0')), 'acme value 0');
    }
  });

  it('I-K6: a retention hold refuses a revocation through DSV; once released, revoking destroys the keys and shards everywhere', async () => {
    const hold = await call(0, 'POST', '/v2/sys/holds', token('acme'), { reason: 'audit' });
    assert.equal(hold.status, 201, JSON.stringify(hold.json));
    const refused = await call(1, 'DELETE', '/v2/sys/tenant-key', token('acme'));
    assert.deepEqual([refused.status, refused.code], [409, 'DSV_RETENTION_HOLD']);
    assert.equal(valueOf(await read(2, 'acme', 's0')), 'acme value 0');
    const holdId = (hold.json.hold as { holdId: string }).holdId;
    assert.equal((await call(0, 'DELETE', `/v2/sys/holds/${holdId}?tenant=acme`, root)).status, 200);

    const revoked = await call(1, 'DELETE', '/v2/sys/tenant-key', token('acme'));
    assert.equal(revoked.status, 200, JSON.stringify(revoked.json));
    for (const node of [0, 1, 2]) {
      await waitFor(() => liveRows(node, 'keys_deks', 'acme') === 0, 5000);
      assert.equal(liveRows(node, 'shards', 'acme'), 0, `node-${node}`);
      assert.ok(liveRows(node, 'keys_deks', 'beta') >= 1);
      const gone = await read(node, 'acme', 's0');
      assert.deepEqual([gone.status, gone.code], [410, 'DSV_TENANT_KEY_REVOKED']);
      assert.equal(valueOf(await read(node, 'beta', 's1')), 'beta value 1');
    }
    const again = await call(0, 'PUT', '/v2/sys/tenant-key', token('acme'), {
      provider: 'local',
      keyRef: 'acme-2',
    });
    assert.deepEqual([again.status, again.code], [410, 'DSV_TENANT_KEY_REVOKED']);
  });

  it('I-K6: the routes are in the OpenAPI document and audited as tenant-key.*, with no key material', async () => {
    const doc = (await (await fetch(`${urls[0] ?? ''}/v2/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(Object.keys(doc.paths['/v2/sys/tenant-key'] ?? {}).sort(), ['delete', 'get', 'put']);
    const dir = join(dataDir, 'node-1', 'audit');
    const trail = readdirSync(dir)
      .filter((file) => file.endsWith('.jsonl'))
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .join('');
    for (const operation of ['tenant-key.set', 'tenant-key.read', 'tenant-key.revoke']) {
      assert.match(trail, new RegExp(`"operation":"${operation.replace('.', '\\.')}"`));
    }
    assert.match(trail, /"target":"tenant:acme"/);
    for (const ref of ['acme-1', 'acme-2']) {
      assert.ok(
        !trail.includes(readFileSync(keyFile(ref)).toString('hex')),
        'I-K1: no key bytes in the trail',
      );
    }
  });

  it('I-K6: data written before the tenant set its key is moved under it by the rewrap worker; the node-KEK-only keys are destroyed', async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await write(i, 'gamma', `early-${i}`, `gamma ${i}`)).status, 201);
    const set = await call(2, 'PUT', '/v2/sys/tenant-key', token('gamma'), {
      provider: 'local',
      keyRef: 'gamma-1',
    });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    for (const node of [0, 1, 2]) {
      await waitFor(async () => {
        const status = await call(node, 'GET', '/v2/sys/tenant-key', token('gamma'));
        const layers = (status.json as { layers: { tenantKey: Record<string, number>; nodeKekOnly: number } })
          .layers;
        return layers.nodeKekOnly === 0 && (layers.tenantKey['local:gamma-1'] ?? 0) >= 1;
      }, 20_000);
      for (let i = 0; i < 3; i++)
        assert.equal(valueOf(await read(node, 'gamma', `early-${i}`)), `gamma ${i}`);
    }
  });
});
