// Red-team attacks on admin separation (I-T4), second round: approval scope patterns, a grant racing its own
// expiry or revocation, the v1 API and the .env transforms, and the tenant-key / key-admin routes. Root holds no
// standing approval (as on `dsv server`). `held:` tests pass when the attack fails; a `[VULN-B…]` test asserts
// the safe outcome and failed while the hole was open.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestCluster } from '../testing/dev-cluster.ts';
import { adminCall, bootstrapTenantAdmin, grantApproval } from '../testing/admin-separation.ts';
import * as checks from '../testing/admin-separation-checks.ts';

const TENANT = checks.TENANT;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('admin separation attacks, round 2 (I-T4): scopes, expiry races, v1/.env, tenant keys', () => {
  let test: TestCluster;
  let cluster: checks.SeparationCluster;
  const state: checks.SeparationState = {};
  let url = '';
  let admin = '';
  before(async () => {
    ({ test, cluster } = await checks.startSeparatedCluster(state));
    url = test.urls[0] ?? '';
    admin = state.admin?.token ?? '';
  });
  after(async () => {
    await test?.stop();
  });

  const asRoot = (method: string, path: string, body?: unknown, tenant?: string, node = url) =>
    adminCall(node, cluster.root, method, path, body, tenant);
  const grant = (body: Record<string, unknown>) => adminCall(url, admin, 'POST', '/v2/sys/approvals', body);
  const revokeAll = async () => {
    const list = await adminCall(url, admin, 'GET', '/v2/sys/approvals');
    for (const approval of list.body.approvals as Array<{ approvalId: string; active: boolean }>) {
      if (approval.active) await adminCall(url, admin, 'DELETE', `/v2/sys/approvals/${approval.approvalId}`);
    }
  };
  /** Root tries every route to acme's values; none may answer a value. */
  const rootGetsNothing = async (what: string) => {
    for (const name of ['db1', 'db2', 'other']) {
      const read = await asRoot('GET', `/v2/secrets/app/${name}`, undefined, TENANT);
      assert.equal(read.status, 403, `${what}: read app/${name}: ${JSON.stringify(read.body)}`);
    }
    const env = await asRoot('POST', '/v2/env:transform?namespace=app', { content: 'A=secret(db1)' }, TENANT);
    assert.equal(env.status, 403, `${what}: .env`);
    const list = await asRoot('GET', '/v2/secrets/app', undefined, TENANT);
    assert.deepEqual(list.body.names, [], `${what}: list`);
  };

  it('held: malformed approval patterns are refused (empty, "**", "*x", "a*b", "/x", no slash)', async () => {
    const base = {
      grantee: cluster.rootAccessor,
      capabilities: ['read', 'list'],
      ttlSeconds: 60,
      reason: 'r',
    };
    for (const scope of [
      { path: '' },
      { path: '/' },
      { path: 'app/' },
      { path: '/db1' },
      { path: 'app' },
      { path: '**/**' },
      { path: 'app/**' },
      { path: '*app/db1' },
      { path: 'a*p/db1' },
      { namespace: '', name: '*' },
      { namespace: '*', name: '' },
      { namespace: '**', name: '*' },
      { namespace: 'app', name: 'd\uD800' },
      {},
    ]) {
      const answer = await grant({ ...base, ...scope });
      assert.equal(
        answer.status,
        400,
        `${JSON.stringify(scope)}: ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
  });

  it('held: literal patterns (.., //, trailing /, case, look-alikes, NUL, NFD) cover only their own literal name', async () => {
    const scopes = [
      { namespace: 'app', name: '../other' },
      { namespace: 'app', name: '..' },
      { namespace: '..', name: '*' },
      { namespace: 'app/..', name: '*' },
      { path: 'app//db1' }, // name "/db1"
      { path: 'app/db1/' }, // name "db1/"
      { path: 'app/./db1' },
      { path: 'APP/db1' },
      { path: 'app/DB1' },
      { path: 'App/*' },
      { path: '\u0430pp/*' }, // Cyrillic a
      { path: 'app/db\u0031\u0000' }, // db1 + NUL
      { path: 'app/db\uFF11' }, // fullwidth digit one
      { path: 'app/\u0064b1' },
      { path: 'app\u0000/*' },
      { path: 'app /*' },
      { path: ' app/*' },
      { path: 'app/ db1' },
    ];
    const ids: string[] = [];
    for (const scope of scopes) {
      const answer = await grant({
        grantee: cluster.rootAccessor,
        capabilities: ['read', 'list', 'history'],
        ttlSeconds: 120,
        reason: `scope ${JSON.stringify(scope)}`,
        ...scope,
      });
      if (answer.status === 201) ids.push((answer.body.approval as { approvalId: string }).approvalId);
      else assert.equal(answer.status, 400, `${JSON.stringify(scope)}: ${JSON.stringify(answer.body)}`);
    }
    // "app/\u0064b1" is exactly "app/db1": that one is meant to work. Revoke it and check the rest.
    const list = await adminCall(url, admin, 'GET', '/v2/sys/approvals');
    const exact = (
      list.body.approvals as Array<{ approvalId: string; namespace: string; name: string; active: boolean }>
    ).filter((a) => a.active && a.namespace === 'app' && a.name === 'db1');
    assert.equal(exact.length, 1, 'the \\u0064b1 spelling is the exact name db1');
    const rootReads = await asRoot('GET', '/v2/secrets/app/db1', undefined, TENANT);
    assert.equal(rootReads.status, 200, 'the exact approval works (control)');
    for (const a of exact) await adminCall(url, admin, 'DELETE', `/v2/sys/approvals/${a.approvalId}`);
    await rootGetsNothing('literal patterns');
    // Names in other namespaces spelled like the patterns: none exists, so none is a value.
    for (const [ns, name] of [
      ['app', '../other'],
      ['..', 'other'],
      ['app', 'db1/'],
      ['app', '/db1'],
    ] as const) {
      const answer = await asRoot(
        'GET',
        `/v2/secrets/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`,
        undefined,
        TENANT,
      );
      assert.ok(!JSON.stringify(answer.body).includes('postgres://'), `${ns}/${name}`);
      assert.ok(!JSON.stringify(answer.body).includes('not-for-root'), `${ns}/${name}`);
    }
    await revokeAll();
  });

  it('held: an approval of acme never reaches another tenant, and the grant body cannot name one', async () => {
    const other = await asRoot('POST', '/v2/sys/tenants', { name: 'beta' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const beta = await bootstrapTenantAdmin(url, cluster.root, 'beta');
    const put = await adminCall(url, beta.token, 'PUT', '/v2/secrets/app/db1', { value: 'beta-secret' });
    assert.ok(put.status === 201 || put.status === 200, JSON.stringify(put.body));
    const granted = await grant({
      grantee: cluster.rootAccessor,
      namespace: '*',
      name: '*',
      capabilities: ['read', 'list'],
      ttlSeconds: 60,
      reason: 'acme-wide read',
      tenant: 'beta',
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    assert.equal((granted.body.approval as { tenant: string }).tenant, TENANT);
    for (const node of cluster.urls) {
      const inBeta = await asRoot('GET', '/v2/secrets/app/db1', undefined, 'beta', node);
      assert.equal(inBeta.status, 403, `${node}: beta read under acme's approval`);
      const listBeta = await asRoot('GET', '/v2/secrets/app', undefined, 'beta', node);
      assert.deepEqual(listBeta.body.names, [], 'beta names');
      const v1 = await fetch(`${node}/api/v1/secrets/db1?user=app`, {
        headers: { authorization: `Bearer ${cluster.root}` },
      });
      assert.equal(v1.status, 403, 'v1 (default tenant) under acme approval');
    }
    await revokeAll();
  });

  it('[VULN-B1] the shard report and console audit search decide root on the tenant they answer for, not the default tenant', async () => {
    // Root alone: it names the default tenant's bootstrap admin itself (possible wherever nobody did) and, as that
    // admin, grants its root token `list` on everything in the default tenant.
    const defaultAdmin = await bootstrapTenantAdmin(url, cluster.root, 'default');
    const self = await grantApproval(url, defaultAdmin.token, {
      grantee: cluster.rootAccessor,
      path: '*/*',
      capabilities: ['list'],
      ttlSeconds: 600,
      reason: 'root approving itself through the default tenant',
    });
    assert.equal(self.status, 201, JSON.stringify(self.body));
    await sleep(200);
    for (const node of cluster.urls) {
      const shards = await asRoot(
        'GET',
        `/v2/sys/shards/app/db1?tenant=${TENANT}`,
        undefined,
        undefined,
        node,
      );
      assert.equal(
        shards.status,
        403,
        `${node}: acme shard report under a default-tenant approval: ${JSON.stringify(shards.body)}`,
      );
      assert.equal(shards.body.code, 'DSV_APPROVAL_REQUIRED');
      const audit = await asRoot('GET', `/ui/api/audit/app/db1?tenant=${TENANT}`, undefined, undefined, node);
      assert.equal(audit.status, 403, `${node}: acme audit search under a default-tenant approval`);
      // X-DSV-Tenant does not change the answer either.
      const withHeader = await asRoot(
        'GET',
        `/v2/sys/shards/app/db1?tenant=${TENANT}`,
        undefined,
        TENANT,
        node,
      );
      assert.equal(withHeader.status, 403, 'with X-DSV-Tenant');
    }
    // The approval still works where it belongs (control): the default tenant's own report.
    // (the default tenant has no app/db1: 404, not 403 DSV_APPROVAL_REQUIRED).
    const own = await asRoot('GET', '/v2/sys/shards/app/db1');
    assert.equal(own.status, 404, JSON.stringify(own.body));
    // An acme approval with `list` on app/db1 opens acme's report for that name only.
    const acme = await grant({
      grantee: cluster.rootAccessor,
      path: 'app/db1',
      capabilities: ['list'],
      ttlSeconds: 60,
      reason: 'shard report',
    });
    assert.equal(acme.status, 201);
    await sleep(200);
    const ok = await asRoot('GET', `/v2/sys/shards/app/db1?tenant=${TENANT}`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const outside = await asRoot('GET', `/v2/sys/shards/app/other?tenant=${TENANT}`);
    assert.equal(outside.status, 403, 'outside the acme approval');
    // I-T4c: that use is acme's to see (it was recorded under the default tenant while the hole was open).
    const acmeId = (acme.body.approval as { approvalId: string }).approvalId;
    const trail = await adminCall(url, admin, 'GET', '/v2/sys/approvals/audit');
    const uses = (trail.body.records as Array<{ operation: string; target: string | null }>).filter(
      (record) => record.target === `approval:${acmeId}` && record.operation !== 'approval.granted',
    );
    assert.ok(uses.length > 0, `acme sees root's use of its approval: ${JSON.stringify(trail.body)}`);
    // A tenant token still cannot name another tenant.
    const cross = await adminCall(url, admin, 'GET', '/v2/sys/shards/app/db1?tenant=default');
    assert.equal(cross.status, 403);
    const crossAudit = await adminCall(url, admin, 'GET', '/ui/api/audit/app/db1?tenant=default');
    assert.equal(crossAudit.status, 403);
    await revokeAll();
  });

  it('held: a grant racing its own expiry: no read started after expiresAt returns a value (v2, .env, v1-style all)', async () => {
    const granted = await grant({
      grantee: cluster.rootAccessor,
      path: 'app/db*',
      capabilities: ['read'],
      ttlSeconds: 2,
      reason: 'expiry race',
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    const expiresAt = Date.parse((granted.body.approval as { expiresAt: string }).expiresAt);
    const results: Array<{ started: number; status: number; node: string; leaked: boolean }> = [];
    const loops = cluster.urls.map(async (node, i) => {
      while (Date.now() < expiresAt + 1500) {
        const started = Date.now();
        const [read, env] = await Promise.all([
          asRoot('GET', '/v2/secrets/app/db1', undefined, TENANT, node),
          asRoot('POST', '/v2/env:transform?namespace=app', { content: 'A=secret(db2)' }, TENANT, node),
        ]);
        for (const answer of [read, env]) {
          const body = JSON.stringify(answer.body);
          results.push({ started, status: answer.status, node, leaked: body.includes('postgres://') });
        }
        await sleep(15 + i * 5);
      }
    });
    await Promise.all(loops);
    const early = results.filter((r) => r.started < expiresAt - 300);
    assert.ok(
      early.some((r) => r.status === 200),
      'reads in force succeeded (control)',
    );
    const late = results.filter((r) => r.started >= expiresAt);
    assert.ok(late.length > 0);
    for (const r of late) {
      assert.ok(
        !r.leaked,
        `value returned for a request started ${r.started - expiresAt} ms after expiry on ${r.node}`,
      );
      assert.notEqual(r.status, 200, `${r.node}: ${r.status} ${r.started - expiresAt} ms after expiry`);
    }
    for (const r of results)
      if (r.leaked) assert.ok(r.started < expiresAt, 'a leak only for requests in force');
  });

  it('held: revoke racing reads: once the revocation returns, no node serves root', async () => {
    const granted = await grant({
      grantee: cluster.rootAccessor,
      path: 'app/db1',
      capabilities: ['read'],
      ttlSeconds: 120,
      reason: 'revoke race',
    });
    assert.equal(granted.status, 201);
    const id = (granted.body.approval as { approvalId: string }).approvalId;
    let revokedAt = Infinity;
    let stop = false;
    const results: Array<{ started: number; status: number }> = [];
    const loops = cluster.urls.map(async (node) => {
      while (!stop) {
        const started = Date.now();
        const read = await asRoot('GET', '/v2/secrets/app/db1', undefined, TENANT, node);
        results.push({ started, status: read.status });
      }
    });
    await sleep(300);
    const revoked = await adminCall(url, admin, 'DELETE', `/v2/sys/approvals/${id}`);
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    revokedAt = Date.now();
    await sleep(800);
    stop = true;
    await Promise.all(loops);
    assert.ok(
      results.some((r) => r.status === 200 && r.started < revokedAt),
      'control: reads before',
    );
    const late = results.filter((r) => r.started > revokedAt);
    assert.ok(late.length > 0);
    for (const r of late)
      assert.equal(r.status, 403, `a read ${r.started - revokedAt} ms after the revocation`);
    // A revoked approval cannot be revoked again or revived.
    const again = await adminCall(url, admin, 'DELETE', `/v2/sys/approvals/${id}`);
    assert.equal(again.status, 404);
  });

  it('held: v1 has no list route; v1 and v1 .env give root (default tenant) nothing; narrow tokens stay narrow', async () => {
    const base = (node: string) => `${node}/api/v1/secrets`;
    const rootHeaders = { authorization: `Bearer ${cluster.root}` };
    for (const [method, path] of [
      ['GET', ''],
      ['GET', '?user=app'],
      ['GET', '/'],
      ['GET', '/?user=app'],
      ['GET', '/env?user=app'],
      ['HEAD', '?user=app'],
    ] as const) {
      const answer = await fetch(`${base(url)}${path}`, { method, headers: rootHeaders });
      const text = await answer.text();
      assert.notEqual(answer.status, 200, `${method} ${path}: ${text}`);
      assert.ok(!text.includes('db1'), `${method} ${path}: ${text}`);
    }
    const v1Env = await fetch(`${base(url)}/env?user=app`, {
      method: 'POST',
      headers: { ...rootHeaders, 'content-type': 'text/plain' },
      body: 'A=secret(db1)\nB=get\n',
    });
    assert.equal(v1Env.status, 403, await v1Env.text());
    // A narrow tenant token: read on app/db1 only (no list, no history, no create).
    const policy = await adminCall(url, admin, 'PUT', '/v2/sys/policies/narrow', {
      rules: [{ path: 'app/db1', capabilities: ['read'] }],
    });
    assert.ok(policy.status === 200 || policy.status === 201, JSON.stringify(policy.body));
    const token = await adminCall(url, admin, 'POST', '/v2/sys/tokens', {
      policies: ['narrow'],
      ttlSeconds: 600,
    });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    const narrow = String(token.body.token);
    const as = (method: string, path: string, body?: unknown) => adminCall(url, narrow, method, path, body);
    assert.equal((await as('GET', '/v2/secrets/app/db1')).status, 200, 'control');
    for (const content of [
      'A=secret(db2)',
      'A=secret(db1)\nB=secret(other)',
      'A=secret(db1, version=1)',
      'db2=get',
      'db1=get:1',
      'X=enc(new)',
      'db1=update:x',
      'db1=delete',
      'db1=new:x',
    ]) {
      const v2 = await as('POST', '/v2/env:transform?namespace=app', { content });
      assert.equal(v2.status, 403, `v2 .env ${JSON.stringify(content)}: ${JSON.stringify(v2.body)}`);
      assert.ok(!JSON.stringify(v2.body).includes('postgres://'));
    }
    const names = await as('GET', '/v2/secrets/app');
    assert.deepEqual(names.body.names, [], 'no list capability, no names');
    const namespaces = await as('GET', '/v2/namespaces');
    assert.deepEqual(namespaces.body.namespaces, [], 'no namespaces');
    // The narrow token's .env in another namespace of its own tenant, and in another tenant.
    const otherNs = await as('POST', '/v2/env:transform?namespace=ap', { content: 'A=secret(pdb1)' });
    assert.equal(otherNs.status, 403);
    const otherTenant = await adminCall(
      url,
      narrow,
      'POST',
      '/v2/env:transform?namespace=app',
      { content: 'A=secret(db1)' },
      'default',
    );
    assert.equal(otherTenant.status, 403);
  });

  it('held: root under a read-only approval on app/db1: .env and client-side stay within it', async () => {
    const granted = await grant({
      grantee: cluster.rootAccessor,
      path: 'app/db1',
      capabilities: ['read'],
      ttlSeconds: 60,
      reason: '.env scope',
    });
    assert.equal(granted.status, 201);
    await sleep(200);
    const env = (content: string) => asRoot('POST', '/v2/env:transform?namespace=app', { content }, TENANT);
    const ok = await env('A=secret(db1)');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.ok(JSON.stringify(ok.body).includes('postgres://one'));
    for (const content of [
      'A=secret(db1)\nB=secret(db2)',
      'A=secret(db1, version=1)',
      'db1=get:1',
      'A=secret(DB1)',
      'A=secret(db1 )',
      'db1=update:x',
      'Z=enc(x)',
    ]) {
      const answer = await env(content);
      assert.notEqual(answer.status, 200, `${JSON.stringify(content)}: ${JSON.stringify(answer.body)}`);
      assert.ok(!JSON.stringify(answer.body).includes('postgres://two'));
    }
    const other = await asRoot(
      'POST',
      '/v2/env:transform?namespace=app2',
      { content: 'A=secret(db1)' },
      TENANT,
    );
    assert.notEqual(other.status, 200);
    const prepare = await asRoot(
      'POST',
      '/v2/client-side/writes/prepare',
      { ops: [{ op: 'read', namespace: 'app', name: 'db2' }] },
      TENANT,
    );
    assert.equal(prepare.status, 403, JSON.stringify(prepare.body));
    const write = await asRoot(
      'POST',
      '/v2/client-side/writes/prepare',
      { ops: [{ op: 'update', namespace: 'app', name: 'db1' }] },
      TENANT,
    );
    assert.equal(write.status, 403, JSON.stringify(write.body));
    await revokeAll();
  });

  it('held: tenant-key and key-admin routes: no non-admin tenant token, no tenant admin across tenants', async () => {
    const policy = await adminCall(url, admin, 'PUT', '/v2/sys/policies/almost-admin', {
      rules: [
        {
          path: '*/*',
          capabilities: ['read', 'create', 'update', 'delete', 'list', 'history', 'hold', 'hold-release'],
        },
        { path: 'app/*', capabilities: ['admin'] },
        { path: '*/x', capabilities: ['admin'] },
        { path: 'x/*', capabilities: ['admin'] },
      ],
    });
    assert.ok(policy.status === 200 || policy.status === 201, JSON.stringify(policy.body));
    const token = await adminCall(url, admin, 'POST', '/v2/sys/tokens', { policies: ['almost-admin'] });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    const almost = String(token.body.token);
    for (const [who, bearer, tenantQuery] of [
      ['non-admin', almost, ''],
      ['non-admin', almost, `?tenant=${TENANT}`],
      ['non-admin', almost, '?tenant=default'],
      ['acme admin', admin, '?tenant=default'],
      ['acme admin', admin, '?tenant=beta'],
    ] as const) {
      const put = await adminCall(url, bearer, 'PUT', `/v2/sys/tenant-key${tenantQuery}`, {
        provider: 'local',
        keyRef: 'attacker-key',
      });
      assert.equal(put.status, 403, `${who} PUT ${tenantQuery}: ${JSON.stringify(put.body)}`);
      const get = await adminCall(url, bearer, 'GET', `/v2/sys/tenant-key${tenantQuery}`);
      assert.equal(get.status, 403, `${who} GET ${tenantQuery}`);
      const del = await adminCall(url, bearer, 'DELETE', `/v2/sys/tenant-key${tenantQuery}`);
      assert.equal(del.status, 403, `${who} DELETE ${tenantQuery}`);
    }
    for (const bearer of [almost, admin]) {
      const rotate = await adminCall(url, bearer, 'POST', '/api/admin/keys/rotate', { tenant: TENANT });
      assert.equal(rotate.status, 403, 'rotate');
      const rotateAll = await adminCall(url, bearer, 'POST', '/api/admin/keys/rotate', {});
      assert.equal(rotateAll.status, 403, 'rotate all');
      const status = await adminCall(url, bearer, 'GET', '/api/admin/keys/status');
      assert.equal(status.status, 403, 'key status');
      const shred = await adminCall(url, bearer, 'POST', `/api/admin/tenants/default/shred`);
      assert.equal(shred.status, 403, 'shred');
      const shredOwn = await adminCall(url, bearer, 'POST', `/api/admin/tenants/${TENANT}/shred`);
      assert.equal(shredOwn.status, 403, 'shred own');
    }
    // Nor may the almost-admin grant, list or revoke approvals (admin on `*`/`*` only).
    const grantByAlmost = await adminCall(url, almost, 'POST', '/v2/sys/approvals', {
      grantee: cluster.rootAccessor,
      path: 'app/*',
      capabilities: ['read'],
      ttlSeconds: 60,
      reason: 'not an admin',
    });
    assert.equal(grantByAlmost.status, 403, JSON.stringify(grantByAlmost.body));
    assert.equal((await adminCall(url, almost, 'GET', '/v2/sys/approvals')).status, 403);
    assert.equal((await adminCall(url, almost, 'GET', '/v2/sys/approvals/audit')).status, 403);
    // After all that, acme's data is intact.
    const read = await adminCall(url, admin, 'GET', '/v2/secrets/app/db1');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.value, 'postgres://one');
  });

  it('held: rotate names a tenant only as a non-empty string; root rotating reads no secret', async () => {
    for (const tenant of [123, '', null, ['acme']]) {
      const answer = await asRoot('POST', '/api/admin/keys/rotate', { tenant });
      assert.equal(answer.status, 400, `tenant ${JSON.stringify(tenant)}: ${JSON.stringify(answer.body)}`);
    }
    const rotated = await asRoot('POST', '/api/admin/keys/rotate', { tenant: TENANT });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.ok(!JSON.stringify(rotated.body).includes('postgres://'));
    await rootGetsNothing('after rotate');
  });
});
