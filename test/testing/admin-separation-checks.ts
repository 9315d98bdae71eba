// The admin-separation checks (I-T4, I-T4c), written once against node URLs so the same assertions run on an
// in-process cluster (test/authz/admin-separation-cluster.test.ts) and on real `dsv server` processes
// (test/authz/admin-separation-process.test.ts). Each check is one `it`.
import assert from 'node:assert/strict';
import { nodeCredential } from '../../src/trust/index.ts';
import {
  accessorOf,
  adminCall,
  bootstrapTenantAdmin,
  grantApproval,
  type TenantAdmin,
} from './admin-separation.ts';
import { startTestCluster, type TestCluster } from './dev-cluster.ts';

export interface SeparationCluster {
  readonly urls: readonly string[];
  readonly root: string;
  readonly rootAccessor: string;
  readonly clusterId: string;
  /** Operator-signed break-glass (I-T4); resolves to its approval id once every node applied it. */
  breakGlass(request: {
    tenant: string;
    grantee: string;
    namespace: string;
    name: string;
    capabilities: Array<'read' | 'list' | 'history' | 'create' | 'update' | 'delete'>;
    ttlMs: number;
    reason: string;
  }): Promise<string>;
}

export interface SeparationState {
  admin?: TenantAdmin;
}

export const TENANT = 'acme';
const code = (answer: { body: Record<string, unknown> }) => answer.body.code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function setUp(cluster: SeparationCluster, state: SeparationState): Promise<void> {
  const url = cluster.urls[0] ?? '';
  const created = await adminCall(url, cluster.root, 'POST', '/v2/sys/tenants', { name: TENANT });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  state.admin = await bootstrapTenantAdmin(url, cluster.root, TENANT);
  for (const [name, value] of [
    ['db1', 'postgres://one'],
    ['db2', 'postgres://two'],
    ['other', 'not-for-root'],
  ] as const) {
    const put = await adminCall(url, state.admin.token, 'PUT', `/v2/secrets/app/${name}`, { value });
    assert.ok(put.status === 201 || put.status === 200, `${put.status} ${JSON.stringify(put.body)}`);
  }
}

/** Root, with no approval: 403 DSV_APPROVAL_REQUIRED on every route to a value, and no names. */
export async function rootIsDenied(cluster: SeparationCluster): Promise<void> {
  for (const url of cluster.urls) {
    const as = (method: string, path: string, body?: unknown) =>
      adminCall(url, cluster.root, method, path, body);
    // v1 acts on the default tenant; v2 on the default tenant too, or the one X-DSV-Tenant names.
    const acme = await adminCall(url, cluster.root, 'GET', '/v2/secrets/app/db1', undefined, TENANT);
    assert.equal(acme.status, 403, 'v2 read in acme');
    assert.equal(code(acme), 'DSV_APPROVAL_REQUIRED');
    const v1Default = await fetch(`${url}/api/v1/secrets/db1?user=app`, {
      headers: { authorization: `Bearer ${cluster.root}` },
    });
    assert.equal(v1Default.status, 403, 'v1 read in the default tenant');
    assert.equal(v1Default.headers.get('x-dsv-error-code'), 'DSV_APPROVAL_REQUIRED');
    const v2 = await as('GET', '/v2/secrets/app/db1');
    assert.equal(v2.status, 403, 'v2 read');
    assert.equal(code(v2), 'DSV_APPROVAL_REQUIRED');
    const write = await as('PUT', '/v2/secrets/app/new', { value: 'root wrote this' });
    assert.equal(write.status, 403, 'v2 write');
    assert.equal(code(write), 'DSV_APPROVAL_REQUIRED');
    const versions = await as('GET', '/v2/secrets/app/db1/versions');
    assert.equal(versions.status, 403, 'versions');
    const env = await as('POST', '/v2/env:transform?namespace=app', { content: 'A=secret(db1)' });
    assert.equal(env.status, 403, '.env resolve');
    const resolve = await as('GET', '/v2/client-side/resolve/app/db1');
    assert.equal(resolve.status, 403, 'client-side resolve');
    const resolveAcme = await adminCall(
      url,
      cluster.root,
      'GET',
      '/v2/client-side/resolve/app/db1',
      undefined,
      TENANT,
    );
    assert.equal(resolveAcme.status, 403, 'client-side resolve in acme');
    // Names: root lists nothing without an approval carrying `list` (the decision: names are tenant data).
    const list = await adminCall(url, cluster.root, 'GET', '/v2/secrets/app', undefined, TENANT);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.names, [], 'list');
    // Nor does root learn by name whether a secret exists (shard redundancy report).
    const shards = await as('GET', `/v2/sys/shards/app/db1?tenant=${TENANT}`);
    assert.equal(shards.status, 403, 'shard report by name');
    assert.equal(code(shards), 'DSV_APPROVAL_REQUIRED');
    const namespaces = await adminCall(url, cluster.root, 'GET', '/v2/namespaces', undefined, TENANT);
    assert.deepEqual(namespaces.body.namespaces, [], 'namespaces');
  }
}

/** Root's own node credential at a holder (client-side mode's back door): no shard without an approval. */
export async function rootIsDeniedInTenant(
  cluster: SeparationCluster,
  state: SeparationState,
): Promise<void> {
  const url = cluster.urls[0] ?? '';
  const admin = state.admin;
  assert.ok(admin);
  // What root could reach by the back door: a shard straight from a holder, with its own node credential.
  const resolved = await adminCall(url, admin.token, 'GET', '/v2/client-side/resolve/app/db1');
  assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
  const info = resolved.body as {
    version: number;
    writeId: string;
    partition: number;
    minOffset: number;
    holders: Array<{ nodeId: string; url: string }>;
  };
  for (const holder of info.holders) {
    const shard = await fetch(`${holder.url}/v2/client-side/holder/shard`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-dsv-node-credential': nodeCredential(cluster.root, cluster.clusterId, holder.nodeId),
      },
      body: JSON.stringify({
        tenant: TENANT,
        namespace: 'app',
        name: 'db1',
        version: info.version,
        writeId: info.writeId,
        partition: info.partition,
        minOffset: info.minOffset,
        purpose: 'read',
      }),
    });
    assert.equal(shard.status, 403, `a holder released a shard to root: ${shard.status}`);
  }
}

/** Root cannot make itself a reader: no tenant token, no policy, no second admin, no approval for itself. */
export async function rootCannotEscalate(cluster: SeparationCluster): Promise<void> {
  const url = cluster.urls[0] ?? '';
  const as = (method: string, path: string, body?: unknown) =>
    adminCall(url, cluster.root, method, path, body);
  const token = await as('POST', '/v2/sys/tokens', { tenant: TENANT, policies: [] });
  assert.equal(token.status, 403, 'a tenant token');
  assert.equal(code(token), 'DSV_APPROVAL_REQUIRED');
  const rules = [{ path: '*/*', capabilities: ['read', 'admin'] }];
  const policy = await as('PUT', `/v2/sys/policies/root-reads?tenant=${TENANT}`, { rules });
  assert.equal(policy.status, 403, 'a tenant policy');
  assert.equal(code(policy), 'DSV_APPROVAL_REQUIRED');
  await assert.rejects(bootstrapTenantAdmin(url, cluster.root, TENANT), /403/, 'a second bootstrap admin');
  const self = await grantApproval(url, cluster.root, {
    grantee: cluster.rootAccessor,
    path: 'app/*',
    capabilities: ['read'],
    ttlSeconds: 60,
    reason: 'root approving itself',
  });
  assert.equal(self.status, 403, 'root granting itself an approval');
  const tokens = await as('GET', `/v2/sys/tokens?tenant=${TENANT}`);
  const inTenant = (tokens.body.tokens as Array<{ tenant: string }>).filter((t) => t.tenant === TENANT);
  assert.equal(inTenant.length, 1, 'the tenant holds its bootstrap admin only');
}

/** The tenant admin's approval: within scope and ttl root reads; outside scope, after expiry, 403. */
export async function approvalBoundsRoot(
  cluster: SeparationCluster,
  state: SeparationState,
): Promise<string> {
  const admin = state.admin;
  assert.ok(admin);
  const url = cluster.urls[0] ?? '';
  const granted = await grantApproval(url, admin.token, {
    grantee: cluster.rootAccessor,
    path: 'app/db*',
    capabilities: ['read', 'list'],
    ttlSeconds: 4,
    reason: 'incident 42: check the database URLs',
  });
  assert.equal(granted.status, 201, JSON.stringify(granted.body));
  const approval = granted.body.approval as { approvalId: string; expiresAt: string };
  for (const node of cluster.urls) {
    const as = (method: string, path: string, body?: unknown, tenant?: string) =>
      adminCall(node, cluster.root, method, path, body, tenant);
    const read = await as('GET', `/v2/secrets/app/db1`, undefined, TENANT);
    assert.equal(read.status, 200, `${node}: ${JSON.stringify(read.body)}`);
    assert.equal(read.body.value, 'postgres://one');
    assert.equal(
      (await as('GET', `/v2/secrets/app/other`, undefined, TENANT)).status,
      403,
      'outside the name',
    );
    const write = await as('PUT', `/v2/secrets/app/db1`, { value: 'x' }, TENANT);
    assert.equal(write.status, 403, 'outside the capabilities');
    const versions = await as('GET', `/v2/secrets/app/db1/versions`, undefined, TENANT);
    assert.equal(versions.status, 403, 'history is not granted');
    const list = await as('GET', `/v2/secrets/app`, undefined, TENANT);
    assert.deepEqual(list.body.names, ['db1', 'db2'], 'only the approved names');
    // Another tenant's approval does nothing in the default tenant.
    assert.equal((await as('GET', '/v2/secrets/app/db1')).status, 403);
  }
  await sleep(Math.max(0, Date.parse(approval.expiresAt) - Date.now()) + 300);
  for (const node of cluster.urls) {
    const late = await adminCall(node, cluster.root, 'GET', `/v2/secrets/app/db1`, undefined, TENANT);
    assert.equal(late.status, 403, 'after expiry');
    assert.equal(code(late), 'DSV_APPROVAL_REQUIRED');
  }
  return approval.approvalId;
}

/** The tenant admin revokes an approval early; root is refused on every node at once. */
export async function revokedApprovalEnds(cluster: SeparationCluster, state: SeparationState): Promise<void> {
  const admin = state.admin;
  assert.ok(admin);
  const url = cluster.urls[0] ?? '';
  const granted = await grantApproval(url, admin.token, {
    grantee: cluster.rootAccessor,
    path: 'app/db2',
    capabilities: ['read'],
    ttlSeconds: 600,
    reason: 'rotate db2',
  });
  assert.equal(granted.status, 201);
  const id = (granted.body.approval as { approvalId: string }).approvalId;
  const get = () => adminCall(url, cluster.root, 'GET', `/v2/secrets/app/db2`, undefined, TENANT);
  assert.equal((await get()).status, 200);
  assert.equal((await adminCall(url, cluster.root, 'DELETE', `/v2/sys/approvals/${id}`)).status, 403);
  const revoked = await adminCall(url, admin.token, 'DELETE', `/v2/sys/approvals/${id}`);
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  for (const node of cluster.urls) {
    assert.equal(
      (await adminCall(node, cluster.root, 'GET', `/v2/secrets/app/db2`, undefined, TENANT)).status,
      403,
    );
  }
  // No admin capability by approval.
  const wide = await grantApproval(url, admin.token, {
    grantee: cluster.rootAccessor,
    path: '*/*',
    capabilities: ['admin'],
    ttlSeconds: 60,
    reason: 'x',
  });
  assert.equal(wide.status, 400);
  const noReason = await grantApproval(url, admin.token, {
    grantee: cluster.rootAccessor,
    path: '*/*',
    capabilities: ['read'],
    ttlSeconds: 60,
    reason: ' ',
  });
  assert.equal(noReason.status, 400);
}

/** Break-glass: operator-signed, reason required, works on every node, shown to the tenant. */
export async function breakGlassIsVisible(cluster: SeparationCluster, state: SeparationState): Promise<void> {
  const admin = state.admin;
  assert.ok(admin);
  const base = {
    tenant: TENANT,
    grantee: cluster.rootAccessor,
    namespace: 'app',
    name: 'other',
    capabilities: ['read' as const],
    ttlMs: 60_000,
  };
  await assert.rejects(cluster.breakGlass({ ...base, reason: '  ' }), /reason/);
  const id = await cluster.breakGlass({ ...base, reason: 'tenant unreachable, outage 7' });
  for (const node of cluster.urls) {
    const read = await adminCall(node, cluster.root, 'GET', `/v2/secrets/app/other`, undefined, TENANT);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.value, 'not-for-root');
  }
  // The tenant sees it with its approvals, and cannot end it (it is the override).
  const url = cluster.urls[0] ?? '';
  const list = await adminCall(url, admin.token, 'GET', '/v2/sys/approvals');
  const found = (list.body.approvals as Array<Record<string, unknown>>).find((a) => a.approvalId === id);
  assert.equal(found?.kind, 'break-glass');
  assert.equal(found?.reason, 'tenant unreachable, outage 7');
  assert.equal(found?.grantedBy, null);
  assert.equal((await adminCall(url, admin.token, 'DELETE', `/v2/sys/approvals/${id}`)).status, 404);
  // Audited on every node (written once the node applied it), with its use on the node that served it.
  for (const node of cluster.urls) {
    let records: Array<{ operation: string; target: string | null; accessor: string }> = [];
    const seen = () =>
      records.some((r) => r.operation === 'approval.break-glass' && r.target === `approval:${id}`) &&
      records.some(
        (r) =>
          r.operation.startsWith('secret.') &&
          r.target === `approval:${id}` &&
          r.accessor === cluster.rootAccessor,
      );
    for (let tries = 0; tries < 40 && !seen(); tries++) {
      if (tries > 0) await sleep(100);
      const view = await adminCall(node, admin.token, 'GET', '/v2/sys/approvals/audit');
      assert.equal(view.status, 200, JSON.stringify(view.body));
      records = view.body.records as typeof records;
    }
    assert.ok(seen(), `${node}: break-glass or its use missing: ${JSON.stringify(records)}`);
  }
}

/** The tenant's audit view: every grant, revocation and use, with the approval id. */
export async function auditViewShowsApprovals(
  cluster: SeparationCluster,
  state: SeparationState,
): Promise<void> {
  const admin = state.admin;
  assert.ok(admin);
  const url = cluster.urls[0] ?? '';
  const view = await adminCall(url, admin.token, 'GET', '/v2/sys/approvals/audit');
  const records = view.body.records as Array<{ operation: string; target: string | null; status: number }>;
  const operations = new Set(records.map((r) => r.operation));
  for (const op of ['approval.grant', 'approval.granted', 'approval.revoke', 'approval.revoked'])
    assert.ok(operations.has(op), `${op} missing: ${[...operations].join(', ')}`);
  assert.ok(
    records.some(
      (r) => r.operation.startsWith('secret.') && r.status === 200 && r.target?.startsWith('approval:'),
    ),
    'a use under an approval',
  );
  // Holders audit each shard they release to root under the approval (I-S5), naming it too.
  const releases = await Promise.all(
    cluster.urls.map(async (node) => {
      const answer = await adminCall(node, admin.token, 'GET', '/v2/sys/approvals/audit');
      return (answer.body.records as Array<{ operation: string; target: string | null }>).filter(
        (r) => r.operation === 'peer.shard-release' && r.target?.startsWith('approval:'),
      ).length;
    }),
  );
  assert.ok(
    releases.reduce((a, b) => a + b, 0) > 0,
    `no holder release names an approval: ${releases.join(',')}`,
  );
  // Another tenant's admin sees none of it; root sees the tenant's view (it manages the cluster).
  const other = await adminCall(url, cluster.root, 'GET', `/v2/sys/approvals/audit?tenant=${TENANT}`);
  assert.equal(other.status, 200);
}

/**
 * An in-process cluster as `dsv server` nodes run it (no dev mode, no standing approval, the peer API over
 * HTTP), with tenant acme set up by its own admin: what the cluster test and the red-team attacks both start.
 */
export async function startSeparatedCluster(
  state: SeparationState,
): Promise<{ test: TestCluster; cluster: SeparationCluster }> {
  const test = await startTestCluster({
    nodes: 3,
    devMode: false,
    standingApproval: false,
    peerTransport: 'http',
  });
  try {
    const root = await test.cluster.issueDevRootToken();
    const url = test.urls[0] ?? '';
    const topology = (await (await fetch(`${url}/v2/client-side/topology`)).json()) as { clusterId: string };
    const cluster: SeparationCluster = {
      urls: test.urls,
      root,
      rootAccessor: await accessorOf(url, root),
      clusterId: topology.clusterId,
      breakGlass: (request) => test.cluster.breakGlass(request),
    };
    await setUp(cluster, state);
    return { test, cluster };
  } catch (error) {
    await test.stop();
    throw error;
  }
}
