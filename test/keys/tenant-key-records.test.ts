// Who may choose a tenant's key (I-K8), against real keys, real envelopes and the real state machine: a
// tenant-key-set or tenant-key-revoke signed by one node alone — or replayed by a log writer — changes nothing;
// only k endorsements (each endorser checks the caller is the tenant's admin or root) or the operator key do.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { mayMakeRecord, type Caller } from '../../src/control/index.ts';
import { inTransaction } from '../../src/platform/node-database.ts';
import { RecordAuthority, SecretStateMachine, type LogEntry } from '../../src/secrets/index.ts';
import { signedTestCluster } from '../../src/secrets/testing/signed-cluster.ts';
import { SqliteShardStore } from '../../src/shards/index.ts';
import { SignatureVerifier } from '../../src/trust/index.ts';
import { ViewStore } from '../../src/view/index.ts';

const { ids, trust, codecOf, endorse, remove } = signedTestCluster('dsv-tenant-key-');
after(remove);

function node() {
  const db = new DatabaseSync(':memory:');
  const view = new ViewStore(db);
  const passThrough = {
    kind: 'test',
    seal: async (_: unknown, s: Uint8Array) => s,
    open: async (_: unknown, s: Uint8Array) => s,
  };
  const shards = new SqliteShardStore(db, passThrough, 'node-2');
  const refused: string[] = [];
  const destroyed: string[] = [];
  const machine = new SecretStateMachine(view, shards, {
    pendingTimeoutMs: 60_000,
    authority: new RecordAuthority(
      new SignatureVerifier(trust[2]!.manifest),
      { quorum: 2, writeQuorum: 2, placement: () => ids },
      view,
    ),
    keys: { destroyTenantKeys: (tenant) => destroyed.push(tenant) },
    onRefused: (_partition, _offset, reason) => refused.push(reason),
  });
  let offset = 0;
  const apply = (bytes: Uint8Array, timestamp = 1_000) =>
    inTransaction(db, () => machine.apply(0, offset++, codecOf(2).decode(0, bytes, timestamp), timestamp));
  return { view, refused, destroyed, apply };
}

const setKey = (keyRef: string, rid: string): LogEntry => ({
  type: 'tenant-key-set',
  tenant: 'acme',
  time: 1,
  provider: 'aws-kms',
  keyRef,
  by: 'acme-admin',
  rid,
  endorsements: [],
});
const endorsed = (entry: LogEntry): LogEntry => ({ ...entry, endorsements: [endorse(1, entry)] }) as LogEntry;

const caller = (tenant: string, accessor: string, admin: boolean, root = false): Caller => ({
  tenant,
  accessor,
  root,
  can: (capability) => admin && capability === 'admin',
});

describe('tenant key records', () => {
  it('I-K8: a tenant-key-set signed by one node alone, or replayed, changes nothing; endorsed by k nodes it sets the key and a key epoch', () => {
    const n = node();
    n.apply(codecOf(0).encode(0, setKey('arn:attacker', 'r1')));
    assert.equal(n.view.tenantKey('acme'), undefined);
    assert.deepEqual(n.refused, ['not-endorsed']);

    const good = endorsed(setKey('arn:tenant', 'r2'));
    n.apply(codecOf(0).encode(0, good));
    assert.deepEqual(
      [n.view.tenantKey('acme')?.provider, n.view.tenantKey('acme')?.keyRef],
      ['aws-kms', 'arn:tenant'],
    );
    assert.ok(n.view.keyEpoch('acme') > 0, 'every node makes a DEK under the new key at this position');

    // A log writer appends an old endorsed record again (or another body under its endorsements).
    const laterBody = setKey('arn:tenant-2', 'r3');
    const laterEndorsements = [endorse(1, laterBody)];
    const later = { ...laterBody, endorsements: laterEndorsements } as LogEntry;
    n.apply(codecOf(0).encode(0, later));
    n.apply(codecOf(0).encode(0, good));
    assert.equal(n.refused.at(-1), 'replayed');
    n.apply(
      codecOf(0).encode(0, { ...setKey('arn:attacker', 'r4'), endorsements: laterEndorsements } as LogEntry),
    );
    assert.equal(n.refused.at(-1), 'not-endorsed');
    assert.equal(n.view.tenantKey('acme')?.keyRef, 'arn:tenant-2');
  });

  it("I-K8: only the tenant's admin or root, naming itself, may make tenant-key records", () => {
    const record = (type: 'tenant-key-set' | 'tenant-key-revoke', by: string) => ({
      type,
      tenant: 'acme',
      by,
    });
    const none = () => undefined;
    for (const type of ['tenant-key-set', 'tenant-key-revoke'] as const) {
      assert.ok(mayMakeRecord(caller('acme', 'a1', true), record(type, 'a1'), none));
      assert.ok(mayMakeRecord(caller('default', 'root', false, true), record(type, 'root'), none));
      assert.ok(!mayMakeRecord(caller('acme', 'a1', true), record(type, 'someone-else'), none));
      assert.ok(!mayMakeRecord(caller('acme', 'u1', false), record(type, 'u1'), none), 'not an admin');
      assert.ok(
        !mayMakeRecord(caller('beta', 'b1', true), record(type, 'b1'), none),
        "another tenant's admin",
      );
    }
  });

  it('I-K8: a revocation is refused while a hold is in force (I-C2b); after it, the key stays revoked', () => {
    const n = node();
    n.apply(codecOf(0).encode(0, endorsed(setKey('arn:tenant', 'k1'))));
    const hold: LogEntry = {
      type: 'hold-place',
      tenant: 'acme',
      time: 1,
      holdId: 'h1',
      namespace: null,
      name: null,
      reason: 'audit',
      ttlMs: null,
      by: 'officer',
      rid: 'h1',
      endorsements: [],
    };
    n.apply(codecOf(0).encode(0, endorsed(hold)));
    const revoke: LogEntry = {
      type: 'tenant-key-revoke',
      tenant: 'acme',
      time: 2,
      by: 'a1',
      rid: 'v1',
      endorsements: [],
    };
    n.apply(codecOf(0).encode(0, endorsed(revoke)));
    assert.equal(n.refused.at(-1), 'retention-hold');
    assert.equal(n.view.tenantKey('acme')?.revoked, false);
    assert.deepEqual(n.destroyed, []);
    const release: LogEntry = {
      type: 'hold-release',
      tenant: 'acme',
      time: 3,
      holdId: 'h1',
      namespace: null,
      name: null,
      by: 'officer',
      rid: 'h1-release',
      endorsements: [],
    };
    n.apply(codecOf(0).encode(0, endorsed(release)));
    n.apply(codecOf(0).encode(0, endorsed({ ...revoke, rid: 'v2' })));
    assert.equal(n.view.tenantKey('acme')?.revoked, true);
    assert.deepEqual(n.destroyed, ['acme']);
    n.apply(codecOf(0).encode(0, endorsed(setKey('arn:new', 'k2'))));
    assert.equal(n.refused.at(-1), 'tenant-key-revoked');
    assert.equal(n.view.tenantKey('acme')?.keyRef, 'arn:tenant');
  });
});
