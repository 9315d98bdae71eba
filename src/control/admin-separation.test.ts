// Admin separation (I-T4, I-T4c), the decision logic: who may make approval and bootstrap records (what every
// endorser checks), how the control view applies them (log-time expiry, first bootstrap wins, break-glass not
// revocable), what root's Caller may do under them, and that break-glass counts only from the operator key.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { inTransaction } from '../platform/node-database.ts';
import type { LogEntry } from '../secrets/index.ts';
import { RecordAuthority } from '../secrets/record-authority.ts';
import { SecretStateMachine } from '../secrets/state-machine.ts';
import { signedTestCluster } from '../secrets/testing/signed-cluster.ts';
import { SqliteShardStore } from '../shards/index.ts';
import { OPERATOR, SignatureVerifier, tokenVerifiers } from '../trust/index.ts';
import { ViewStore } from '../view/index.ts';
import type { ControlEntry } from './control-entry.ts';
import { ControlStore } from './control-store.ts';
import { mayMakeRecord } from './record-authorization.ts';
import { TokenAuthenticator, type Caller } from './token-authenticator.ts';

const authority = { rid: 'r', endorsements: [] };
const root: Caller = { tenant: 'acme', accessor: 'root-1', root: true, can: () => false };
const standingRoot: Caller = { ...root, standing: true, can: () => true };
const admin: Caller = { tenant: 'acme', accessor: 'adm-1', root: false, can: () => true };
const member: Caller = { tenant: 'acme', accessor: 'usr-1', root: false, can: (c) => c !== 'admin' };
const rootToken = { tenant: null } as never;
const tenantToken = { tenant: 'acme' } as never;
const tokenOf = (accessor: string) => (accessor.startsWith('root') ? rootToken : tenantToken);
const grant = (by: string, over: Record<string, unknown> = {}) =>
  ({
    type: 'approval-grant',
    tenant: 'acme',
    grantee: 'root-1',
    capabilities: ['read'],
    by,
    ...over,
  }) as const;

describe('I-T4: who may make admin-separation records (every endorser asks mayMakeRecord)', () => {
  it('root mints a tenant token only as the bootstrap admin, with no creator, while the tenant has none', () => {
    const bootstrap = { type: 'token-create', tenant: 'acme', creator: null } as const;
    assert.ok(mayMakeRecord(root, bootstrap, tokenOf, { tenantHasBootstrap: () => false }));
    assert.ok(!mayMakeRecord(root, bootstrap, tokenOf, { tenantHasBootstrap: () => true }), 're-bootstrap');
    assert.ok(!mayMakeRecord(root, bootstrap, tokenOf), 'no lookup: fail closed');
    const child = { type: 'token-create', tenant: 'acme', creator: 'root-1' } as const;
    assert.ok(!mayMakeRecord(root, child, tokenOf, { tenantHasBootstrap: () => false }), 'a root child');
    assert.ok(mayMakeRecord(root, { type: 'token-create', tenant: null, creator: 'root-1' }, tokenOf));
    assert.ok(!mayMakeRecord(admin, bootstrap, tokenOf, { tenantHasBootstrap: () => false }));
    assert.ok(mayMakeRecord(admin, { type: 'token-create', tenant: 'acme', creator: 'adm-1' }, tokenOf));
    assert.ok(mayMakeRecord(standingRoot, child, tokenOf), 'the dev standing approval keeps the old path');
    assert.ok(mayMakeRecord(standingRoot, bootstrap, tokenOf, { tenantHasBootstrap: () => false }));
    assert.ok(!mayMakeRecord(standingRoot, bootstrap, tokenOf, { tenantHasBootstrap: () => true }));
  });

  it('root writes no tenant policy; the tenant admin does', () => {
    assert.ok(!mayMakeRecord(root, { type: 'policy-put', tenant: 'acme' }, tokenOf));
    assert.ok(!mayMakeRecord(root, { type: 'policy-delete', tenant: 'acme' }, tokenOf));
    assert.ok(mayMakeRecord(admin, { type: 'policy-put', tenant: 'acme' }, tokenOf));
    assert.ok(!mayMakeRecord(member, { type: 'policy-put', tenant: 'acme' }, tokenOf));
  });

  it('only the tenant admin, named in the record, grants a root token secret capabilities', () => {
    assert.ok(mayMakeRecord(admin, grant('adm-1'), tokenOf));
    assert.ok(!mayMakeRecord(root, grant('root-1'), tokenOf), 'root approves itself');
    assert.ok(!mayMakeRecord(standingRoot, grant('root-1'), tokenOf), 'not even the dev root');
    assert.ok(!mayMakeRecord(admin, grant('someone-else'), tokenOf), 'by must be the caller');
    assert.ok(!mayMakeRecord(member, grant('usr-1'), tokenOf), 'not an admin');
    assert.ok(!mayMakeRecord(admin, grant('adm-1', { tenant: 'beta' }), tokenOf), 'another tenant');
    assert.ok(!mayMakeRecord(admin, grant('adm-1', { grantee: 'usr-2' }), tokenOf), 'a tenant token');
    assert.ok(!mayMakeRecord(admin, grant('adm-1', { grantee: 'root-x' }), () => undefined), 'unknown');
    assert.ok(!mayMakeRecord(admin, grant('adm-1', { capabilities: ['read', 'admin'] }), tokenOf));
    assert.ok(!mayMakeRecord(admin, grant('adm-1', { capabilities: ['hold-release'] }), tokenOf));
    const revoke = { type: 'approval-revoke', tenant: 'acme', by: 'adm-1' } as const;
    assert.ok(mayMakeRecord(admin, revoke, tokenOf));
    assert.ok(!mayMakeRecord(root, { ...revoke, by: 'root-1' }, tokenOf));
    assert.ok(!mayMakeRecord(admin, { type: 'approval-break-glass', tenant: 'acme' }, tokenOf));
    assert.ok(!mayMakeRecord(root, { type: 'approval-break-glass', tenant: 'acme' }, tokenOf));
  });
});

function controlView() {
  const store = new ControlStore(new DatabaseSync(':memory:'), 'node-0');
  store.apply({ type: 'tenant-create', tenant: 'acme', time: 1, ...authority });
  const token = (accessor: string, tenant: string | null, creator: string | null): ControlEntry => ({
    type: 'token-create',
    accessor,
    verifiers: tokenVerifiers(`dsv.${accessor.padEnd(43, 'x')}`, 'c', ['node-0']),
    creator,
    tenant,
    policies: [],
    displayName: '',
    expiresAt: null,
    time: 1,
    ...authority,
  });
  return { store, token };
}

const scope = {
  tenant: 'acme',
  grantee: 'root-1',
  namespace: 'app',
  name: 'db*',
  capabilities: ['read' as const],
  ttlMs: 1000,
  reason: 'why',
  time: 1,
  ...authority,
};

describe('I-T4: the control view applies approvals and bootstraps deterministically', () => {
  it('expiry counts from the record’s log time; revoke ends a grant only; break-glass runs out by itself', () => {
    const { store } = controlView();
    store.apply({ type: 'approval-grant', approvalId: 'g', by: 'adm-1', ...scope }, 5_000);
    store.apply({ type: 'approval-break-glass', approvalId: 'b', ...scope, name: 'other' }, 5_000);
    assert.equal(store.approval('g')?.expiresAt, 6_000, 'log time + ttl, not the record body time');
    assert.equal(store.approvalFor('root-1', 'acme', 'read', 'app', 'db1', 5_999)?.approvalId, 'g');
    assert.equal(store.approvalFor('root-1', 'acme', 'read', 'app', 'db1', 6_000), undefined, 'now ≥ expiry');
    assert.equal(store.approvalFor('root-1', 'acme', 'update', 'app', 'db1', 5_500), undefined);
    assert.equal(store.approvalFor('root-1', 'acme', 'read', 'app', 'xdb1', 5_500), undefined);
    assert.equal(store.approvalFor('root-1', 'beta', 'read', 'app', 'db1', 5_500), undefined);
    assert.equal(store.approvalFor('root-2', 'acme', 'read', 'app', 'db1', 5_500), undefined);
    store.apply({ type: 'approval-grant', approvalId: 'g', by: 'adm-1', ...scope, ttlMs: 999_999 }, 5_100);
    assert.equal(store.approval('g')?.expiresAt, 6_000, 'the first record with an id wins');
    for (const id of ['g', 'b'])
      store.apply({
        type: 'approval-revoke',
        approvalId: id,
        tenant: 'acme',
        by: 'adm-1',
        time: 2,
        ...authority,
      });
    assert.equal(store.approvalFor('root-1', 'acme', 'read', 'app', 'db1', 5_500), undefined, 'revoked');
    assert.equal(store.approvalFor('root-1', 'acme', 'read', 'app', 'other', 5_500)?.kind, 'break-glass');
    store.apply({ type: 'approval-grant', approvalId: 'ghost', by: 'a', ...scope, tenant: 'nope' }, 5_000);
    assert.equal(store.approval('ghost'), undefined, 'a tenant that does not exist');
  });

  it('the first bootstrap admin of a tenant wins; it holds every capability there; root children are not admins', async () => {
    const { store, token } = controlView();
    assert.equal(store.tenantHasBootstrap('acme'), false);
    store.apply(token('root-1', null, null));
    store.apply(token('child', 'acme', 'root-1'));
    assert.equal(store.tenantHasBootstrap('acme'), false, 'a root-created token is not a bootstrap');
    store.apply(token('first', 'acme', null));
    store.apply(token('second', 'acme', null));
    assert.equal(store.tenantHasBootstrap('acme'), true);
    assert.ok(store.tokenByAccessor('first')?.bootstrap);
    assert.equal(store.tokenByAccessor('second'), undefined, 'a later bootstrap is a no-op');
    const tokens = new TokenAuthenticator({
      store,
      catchUp: async () => {},
      maxStalenessMs: 1000,
      defaultTenant: 'default',
      allowAnonymous: false,
      scope: { clusterId: 'c', nodeId: 'node-0' },
      now: () => 5_500,
    });
    const first = await tokens.authenticateToken(`dsv.${'first'.padEnd(43, 'x')}`, {
      anonymousAllowed: false,
    });
    assert.ok(first.can('admin', '*', '*') && first.can('read', 'any', 'thing'));
    const child = await tokens.authenticateToken(`dsv.${'child'.padEnd(43, 'x')}`, {
      anonymousAllowed: false,
    });
    assert.ok(!child.can('read', 'any', 'thing'));
  });

  it('root’s Caller: only under an approval in force, in the tenant it acts on; each use is noted', async () => {
    const { store, token } = controlView();
    store.apply(token('root-1', null, null));
    store.apply({ type: 'approval-grant', approvalId: 'g', by: 'adm-1', ...scope }, 5_000);
    let now = 5_500;
    const options = {
      store,
      catchUp: async () => {},
      maxStalenessMs: 1000,
      defaultTenant: 'default',
      allowAnonymous: false,
      scope: { clusterId: 'c', nodeId: 'node-0' },
      now: () => now,
    };
    const secret = `dsv.${'root-1'.padEnd(43, 'x')}`;
    const tokens = new TokenAuthenticator(options);
    const inDefault = await tokens.authenticateToken(secret, { anonymousAllowed: false });
    assert.ok(!inDefault.can('read', 'app', 'db1'), 'the approval is for acme only');
    const inAcme = await tokens.authenticateToken(secret, { tenant: 'acme', anonymousAllowed: false });
    assert.ok(!inAcme.can('admin', '*', '*'), 'root administers no tenant');
    assert.deepEqual([...(inAcme.approvalsUsed ?? [])], []);
    assert.ok(inAcme.can('read', 'app', 'db1'));
    assert.deepEqual([...(inAcme.approvalsUsed ?? [])], ['g'], 'noted for the audit record');
    now = 6_000;
    assert.ok(!inAcme.can('read', 'app', 'db1'), 'checked at every use, against this node’s clock');
    const dev = new TokenAuthenticator({ ...options, devStandingApproval: true });
    const standing = await dev.authenticateToken(secret, { tenant: 'acme', anonymousAllowed: false });
    assert.ok(
      standing.standing === true && standing.can('read', 'x', 'y') && standing.can('admin', '*', '*'),
    );
  });
});

const { ids, trust, codecOf, sealUnchecked, operator, endorse, remove } =
  signedTestCluster('dsv-separation-');
after(remove);

describe('I-T4: break-glass counts only from the operator key', () => {
  it('a break-glass signed by a node, even with endorsements, is refused; the operator’s applies once', () => {
    const db = new DatabaseSync(':memory:');
    const view = new ViewStore(db);
    const control = new ControlStore(db, 'node-2');
    const passThrough = {
      kind: 'test',
      seal: async (_: unknown, s: Uint8Array) => s,
      open: async (_: unknown, s: Uint8Array) => s,
    };
    const refused: string[] = [];
    const machine = new SecretStateMachine(view, new SqliteShardStore(db, passThrough, 'node-2'), {
      pendingTimeoutMs: 60_000,
      control,
      authority: new RecordAuthority(
        new SignatureVerifier(trust[2]!.manifest),
        { quorum: 2, writeQuorum: 2, placement: () => ids },
        view,
      ),
      onRefused: (_partition, _offset, reason) => refused.push(reason),
    });
    let offset = 0;
    const apply = (bytes: Uint8Array) =>
      inTransaction(db, () => machine.apply(0, offset++, codecOf(2).decode(0, bytes, 1_000), 1_000));
    apply(operator.encode(0, { type: 'tenant-create', tenant: 'acme', time: 1, rid: 't', endorsements: [] }));
    const glass = (id: string): LogEntry => ({
      type: 'approval-break-glass',
      approvalId: id,
      ...scope,
      rid: `rid-${id}`,
    });
    apply(codecOf(0).encode(0, glass('by-node')));
    const endorsed = glass('endorsed');
    apply(codecOf(0).encode(0, { ...endorsed, endorsements: [endorse(1, endorsed)] } as LogEntry));
    assert.deepEqual(refused, ['operator-only', 'operator-only']);
    assert.equal(control.approval('by-node'), undefined);
    assert.equal(control.approval('endorsed'), undefined);
    const byOperator = operator.encode(0, glass('operator'));
    apply(byOperator);
    assert.equal(control.approval('operator')?.kind, 'break-glass');
    assert.equal(control.approval('operator')?.expiresAt, 2_000, 'log time + ttl');
    apply(byOperator);
    assert.equal(refused.at(-1), 'replayed');
    // A break-glass longer than an hour does not match the schema: a no-op on every node (I-L6).
    apply(sealUnchecked(OPERATOR, 0, { ...glass('long'), ttlMs: 3_600_001 }));
    assert.equal(control.approval('long'), undefined);
  });
});
