// Red-team attacks on admin separation (I-T4, I-T4c): a root token with no standing approval (as on `dsv
// server`) tries to reach tenant secrets, names or approvals through side routes. `held:` tests pass when the
// attack fails; a `[VULN-A…]` test asserts the safe outcome and fails while the hole is open.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestCluster } from '../testing/dev-cluster.ts';
import { accessorOf, adminCall, bootstrapTenantAdmin } from '../testing/admin-separation.ts';
import * as checks from '../testing/admin-separation-checks.ts';

const TENANT = checks.TENANT;

describe('admin separation attacks (I-T4, I-T4c), root without the standing approval', () => {
  let test: TestCluster;
  let cluster: checks.SeparationCluster;
  const state: checks.SeparationState = {};
  let url = '';
  before(async () => {
    ({ test, cluster } = await checks.startSeparatedCluster(state));
    url = test.urls[0] ?? '';
  });
  after(async () => {
    await test?.stop();
  });

  it('held: X-DSV-Tenant case/whitespace variants do not reach acme secrets', async () => {
    for (const variant of ['ACME', ' acme', 'acme ', 'Acme', 'acme,default']) {
      const answer = await adminCall(url, cluster.root, 'GET', '/v2/secrets/app/db1', undefined, variant);
      assert.notEqual(answer.status, 200, `variant ${JSON.stringify(variant)}`);
      assert.ok(!JSON.stringify(answer.body).includes('postgres://one'));
    }
  });

  it('held: root cannot mint a token in acme via POST /v2/sys/tokens', async () => {
    const answer = await adminCall(url, cluster.root, 'POST', '/v2/sys/tokens', {
      tenant: TENANT,
      policies: [],
    });
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });

  it('held: the shard-redundancy report names no secret for root without a list approval', async () => {
    const answer = await adminCall(url, cluster.root, 'GET', `/v2/sys/shards/app/db1?tenant=${TENANT}`);
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });

  it('held: root lists no names in acme (v2 list with X-DSV-Tenant)', async () => {
    const answer = await adminCall(url, cluster.root, 'GET', '/v2/secrets/app', undefined, TENANT);
    assert.ok(!JSON.stringify(answer.body).includes('db1'), JSON.stringify(answer.body));
  });

  it('held: root cannot delete or overwrite an acme secret', async () => {
    const del = await adminCall(url, cluster.root, 'DELETE', '/v2/secrets/app/db1', undefined, TENANT);
    assert.notEqual(del.status, 200);
    assert.notEqual(del.status, 204);
    const put = await adminCall(url, cluster.root, 'PUT', '/v2/secrets/app/db1', { value: 'x' }, TENANT);
    assert.equal(put.status, 403);
    const read = await adminCall(url, state.admin?.token ?? '', 'GET', '/v2/secrets/app/db1');
    assert.ok(JSON.stringify(read.body).includes('postgres://one'));
  });
  it('held: approval ttl edge cases (0, negative, non-integer, > 7 days, null) are refused', async () => {
    for (const ttlSeconds of [0, -1, 1.5, 8 * 24 * 3600, null]) {
      const answer = await adminCall(url, state.admin?.token ?? '', 'POST', '/v2/sys/approvals', {
        grantee: cluster.rootAccessor,
        path: 'app/db1',
        capabilities: ['read'],
        ttlSeconds,
        reason: 'ttl edge',
      });
      assert.equal(answer.status, 400, `ttl ${JSON.stringify(ttlSeconds)}: ${JSON.stringify(answer.body)}`);
    }
  });

  it('held: a tenant admin cannot grant an approval to a non-root grantee or with admin/hold', async () => {
    const self = await accessorOf(url, state.admin?.token ?? '');
    const toSelf = await adminCall(url, state.admin?.token ?? '', 'POST', '/v2/sys/approvals', {
      grantee: self,
      path: 'app/db1',
      capabilities: ['read'],
      ttlSeconds: 60,
      reason: 'not root',
    });
    assert.notEqual(toSelf.status, 201, JSON.stringify(toSelf.body));
    const adminCap = await adminCall(url, state.admin?.token ?? '', 'POST', '/v2/sys/approvals', {
      grantee: cluster.rootAccessor,
      path: 'app/db1',
      capabilities: ['admin'],
      ttlSeconds: 60,
      reason: 'admin',
    });
    assert.equal(adminCap.status, 400);
  });

  it('held: root cannot grant itself an approval', async () => {
    const answer = await adminCall(
      url,
      cluster.root,
      'POST',
      '/v2/sys/approvals',
      { grantee: cluster.rootAccessor, path: '*/*', capabilities: ['read'], ttlSeconds: 60, reason: 'self' },
      TENANT,
    );
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });

  it('held: an approval granted in acme (body tenant=default) does not reach the default tenant; use is audited', async () => {
    const grant = await adminCall(url, state.admin?.token ?? '', 'POST', '/v2/sys/approvals', {
      tenant: 'default',
      grantee: cluster.rootAccessor,
      path: 'app/db1',
      capabilities: ['read'],
      ttlSeconds: 60,
      reason: 'cross-tenant attempt',
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    const approvalId = (grant.body as { approvalId?: string }).approvalId ?? '';
    // Let every node apply it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const inDefault = await adminCall(url, cluster.root, 'GET', '/v2/secrets/app/db1', undefined, 'default');
    assert.notEqual(inDefault.status, 200, 'approval of acme used in default');
    const other = await adminCall(url, cluster.root, 'GET', '/v2/secrets/app/other', undefined, TENANT);
    assert.equal(other.status, 403, 'outside the name pattern');
    const inAcme = await adminCall(url, cluster.root, 'GET', '/v2/secrets/app/db1', undefined, TENANT);
    assert.equal(inAcme.status, 200, JSON.stringify(inAcme.body));
    const audit = await adminCall(url, state.admin?.token ?? '', 'GET', '/v2/sys/approvals/audit');
    assert.ok(JSON.stringify(audit.body).includes(`approval:${approvalId}`), 'use shown to the tenant');
  });
  it('held: side routes with X-DSV-Tenant (versions, asOf, .env, client-side, console audit) give root nothing', async () => {
    const as = (method: string, path: string, body?: unknown) =>
      adminCall(url, cluster.root, method, path, body, TENANT);
    for (const [method, path, body] of [
      ['GET', '/v2/secrets/app/other/versions', undefined],
      ['GET', '/v2/secrets/app/other?version=1', undefined],
      ['GET', `/v2/secrets/app/other?asOf=${encodeURIComponent(new Date().toISOString())}`, undefined],
      ['POST', '/v2/env:transform?namespace=app', { content: 'A=secret(other)' }],
      ['GET', '/v2/client-side/resolve/app/other', undefined],
    ] as const) {
      const answer = await as(method, path, body);
      assert.notEqual(answer.status, 200, `${method} ${path}`);
      assert.ok(!JSON.stringify(answer.body).includes('not-for-root'), `${method} ${path}`);
    }
    const consoleAudit = await adminCall(
      url,
      cluster.root,
      'GET',
      `/ui/api/audit/app/other?tenant=${TENANT}`,
    );
    assert.notEqual(consoleAudit.status, 200, JSON.stringify(consoleAudit.body));
  });

  it('held: root revokes the tenant admin but cannot re-bootstrap a new one (last: ends the admin)', async () => {
    const admin = await accessorOf(url, state.admin?.token ?? '');
    const revoked = await adminCall(url, cluster.root, 'DELETE', `/v2/sys/tokens/${admin}`);
    assert.ok(revoked.status < 300, JSON.stringify(revoked.body));
    await assert.rejects(bootstrapTenantAdmin(url, cluster.root, TENANT));
  });
});
