// Retention holds (I-C2b): decided by the state machine in log order, so every node refuses the same deletes
// and shreds; expiry is log time (I-X4); release needs its own capability (record authorization).
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { signedTestCluster } from './testing/signed-cluster.ts';
import { allows, mayMakeRecord, type Caller, type PolicyRule } from '../control/index.ts';
import { inTransaction } from '../platform/node-database.ts';
import { SqliteShardStore } from '../shards/index.ts';
import { SignatureVerifier } from '../trust/index.ts';
import { ViewStore } from '../view/index.ts';
import type { HoldPlaceEntry, HoldReleaseEntry, LogEntry } from './log-entry.ts';
import { RecordAuthority } from './record-authority.ts';
import { SecretStateMachine } from './state-machine.ts';

const sealer = {
  kind: 'test',
  seal: async (_: unknown, s: Uint8Array) => s,
  open: async (_: unknown, s: Uint8Array) => s,
};

function machine() {
  const db = new DatabaseSync(':memory:');
  const view = new ViewStore(db);
  const shards = new SqliteShardStore(db, sealer, 'node-0');
  const refused: string[] = [];
  const sm = new SecretStateMachine(view, shards, {
    pendingTimeoutMs: 60_000,
    onRefused: (_p, _o, reason) => refused.push(reason),
  });
  let offset = 0;
  /** Appends entries at their own `time` as log time, `batch` records per transaction. */
  const apply = (entries: readonly LogEntry[], batch = 1) => {
    for (let i = 0; i < entries.length; i += batch) {
      inTransaction(db, () => {
        for (const entry of entries.slice(i, i + batch)) {
          sm.apply(0, offset++, { signer: 'node-0', entry, timestamp: entry.time });
        }
      });
    }
  };
  return { db, view, apply, refused };
}

let writes = 0;
const intent = (time: number, op: 'create' | 'delete', namespace: string, name: string): LogEntry => ({
  type: 'intent',
  writeId: `w${++writes}`,
  tenant: 't',
  time,
  coordinator: 'node-0',
  ops: [{ op, namespace, name }],
  endorsements: [],
});
const commit = (of: LogEntry, time: number): LogEntry => ({
  type: 'commit',
  writeId: (of as { writeId: string }).writeId,
  tenant: 't',
  time,
  shards: [],
});
const hold = (
  time: number,
  holdId: string,
  namespace: string | null,
  name: string | null,
  ttlMs: number | null = null,
  tenant = 't',
): HoldPlaceEntry => ({
  type: 'hold-place',
  tenant,
  time,
  holdId,
  namespace,
  name,
  reason: 'litigation',
  ttlMs,
  by: 'acc-1',
  rid: `place-${holdId}`,
  endorsements: [],
});
const release = (time: number, of: HoldPlaceEntry, scope = of): HoldReleaseEntry => ({
  type: 'hold-release',
  tenant: of.tenant,
  time,
  holdId: of.holdId,
  namespace: scope.namespace,
  name: scope.name,
  by: 'acc-2',
  rid: `release-${of.holdId}-${time}`,
  endorsements: [],
});
const shred = (time: number): LogEntry => ({
  type: 'tenant-shred',
  tenant: 't',
  time,
  rid: `shred-${time}`,
  endorsements: [],
});

const outcome = (m: ReturnType<typeof machine>, entry: LogEntry) =>
  m.view.write((entry as { writeId: string }).writeId)?.outcome;
const live = (m: ReturnType<typeof machine>, namespace: string, name: string) =>
  m.view.key({ tenant: 't', namespace, name })?.live === true;
const dump = (db: DatabaseSync) =>
  ['view_keys', 'view_writes', 'view_holds', 'view_tenants', 'view_applied'].map((table) =>
    db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all(),
  );

/** Creates a/x, a/y and b/z, committed, from log time 1. */
function seeded(): LogEntry[] {
  const creates = [
    intent(1, 'create', 'a', 'x'),
    intent(2, 'create', 'a', 'y'),
    intent(3, 'create', 'b', 'z'),
  ];
  return [...creates, ...creates.map((entry, i) => commit(entry, 10 + i))];
}

describe('retention holds in the state machine', () => {
  it('I-C2b: a hold refuses the deletes it covers in log order, and the same log prefix gives the same decisions', () => {
    const onSecret = hold(20, 'h-secret', 'a', 'x');
    const onNamespace = hold(30, 'h-ns', 'a', null);
    const delX1 = intent(21, 'delete', 'a', 'x');
    const delZ = intent(22, 'delete', 'b', 'z');
    const delY = intent(31, 'delete', 'a', 'y');
    const delX2 = intent(41, 'delete', 'a', 'x');
    const delX3 = intent(51, 'delete', 'a', 'x');
    const log: LogEntry[] = [
      ...seeded(),
      onSecret,
      delX1,
      delZ,
      commit(delZ, 23),
      onNamespace,
      delY,
      release(40, onSecret),
      delX2, // the namespace hold still covers a/x
      release(50, onNamespace),
      delX3,
      commit(delX3, 52),
    ];
    const one = machine();
    const other = machine();
    one.apply(log, 1);
    other.apply(log, 4); // batching differs, decisions do not (I-X1)
    assert.deepEqual(dump(one.db), dump(other.db));
    const held = { state: 'rejected', rejection: { code: 'DSV_RETENTION_HOLD', opIndex: 0 } };
    assert.deepEqual(outcome(one, delX1), held);
    assert.deepEqual(outcome(one, delY), held);
    assert.deepEqual(outcome(one, delX2), held);
    assert.equal(outcome(one, delZ)?.state, 'committed');
    assert.equal(outcome(one, delX3)?.state, 'committed');
    assert.equal(live(one, 'a', 'x'), false);
    assert.equal(live(one, 'a', 'y'), true);
    // Both holds are kept, released, with who released them and when (log time).
    const holds = one.view.holds('t', true);
    assert.deepEqual(
      holds.map((h) => [h.holdId, h.placedAt, h.releasedAt, h.releasedBy]),
      [
        ['h-secret', 20, 40, 'acc-2'],
        ['h-ns', 30, 50, 'acc-2'],
      ],
    );
    assert.deepEqual(one.view.holds('t', false), []);
  });

  it('I-C2b: expiry is log time: the hold refuses until its record’s log time plus the ttl, then no more', () => {
    const m = machine();
    const delEarly = intent(1099, 'delete', 'a', 'x');
    const delLate = intent(1100, 'delete', 'a', 'x');
    // A coordinator's `time` field does not count: log time comes from the log (the timestamp), I-X4.
    m.apply([...seeded(), hold(100, 'h', 'a', 'x', 1000), delEarly]);
    assert.equal(outcome(m, delEarly)?.rejection?.code, 'DSV_RETENTION_HOLD');
    assert.equal(m.view.holdCovering({ tenant: 't', namespace: 'a', name: 'x' }, 1099)?.holdId, 'h');
    m.apply([delLate, commit(delLate, 1101)]);
    assert.equal(outcome(m, delLate)?.state, 'committed');
    assert.equal(m.view.hold('h')?.expiresAt, 1100);
  });

  it('I-C2b: a tenant-shred is a counted no-op while any hold in the tenant is in force; after release it shreds', () => {
    const m = machine();
    const onSecret = hold(20, 'h', 'b', 'z');
    m.apply([...seeded(), onSecret, shred(21)]);
    assert.equal(m.view.isShredded('t'), false);
    assert.equal(live(m, 'b', 'z'), true);
    assert.deepEqual(m.refused, ['retention-hold']);
    assert.equal(m.view.rejectedRecords()['retention-hold'], 1);
    // A hold on another tenant does not protect this one.
    m.apply([release(30, onSecret), hold(31, 'other', null, null, null, 'u'), shred(32)]);
    assert.equal(m.view.isShredded('t'), true);
    // A shredded tenant takes no new hold.
    m.apply([hold(40, 'late', null, null)]);
    assert.equal(m.view.hold('late'), undefined);
  });

  it('I-C2b: a hold placed after a delete was ordered but before its commit aborts the delete', () => {
    const m = machine();
    const del = intent(20, 'delete', 'a', 'x');
    m.apply([...seeded(), del, hold(21, 'h', null, null), commit(del, 22)]);
    assert.equal(m.view.write((del as { writeId: string }).writeId)?.outcome.abortReason, 'retention-hold');
    assert.equal(live(m, 'a', 'x'), true);
  });

  it('I-C2b: a release must name the hold’s own scope; a second hold-place with a taken id changes nothing', () => {
    const m = machine();
    const onNamespace = hold(20, 'h', 'a', null);
    m.apply([
      ...seeded(),
      onNamespace,
      { ...hold(21, 'h', null, null), rid: 'again' }, // same id, wider scope: ignored
      release(22, onNamespace, { ...onNamespace, name: 'x' }), // scope narrowed: ignored
    ]);
    const kept = m.view.hold('h');
    assert.equal(kept?.namespace, 'a');
    assert.equal(kept?.name, null);
    assert.equal(kept?.releasedAt, null);
    m.apply([release(23, onNamespace)]);
    assert.equal(m.view.hold('h')?.releasedAt, 23);
  });
});

describe('who may place and release a hold (record authorization)', () => {
  const caller = (rules: PolicyRule[], accessor = 'acc'): Caller => ({
    tenant: 't',
    accessor,
    root: false,
    can: (capability, namespace, name) => allows(rules, namespace, name, capability),
  });
  const place = (namespace: string | null, name: string | null, by = 'acc') =>
    ({ type: 'hold-place', tenant: 't', namespace, name, by }) as const;
  const free = (namespace: string | null, name: string | null, by = 'acc') =>
    ({ type: 'hold-release', tenant: 't', namespace, name, by }) as const;
  const none = () => undefined;

  it('I-C2b: placing needs `hold` on the scope, releasing `hold-release`; neither implies the other', () => {
    const holder = caller([{ namespace: 'a', name: '*', capabilities: ['hold'] }]);
    const releaser = caller([{ namespace: '*', name: '*', capabilities: ['hold-release'] }]);
    const admin = caller([{ namespace: '*', name: '*', capabilities: ['admin', 'delete'] }]);
    assert.equal(mayMakeRecord(holder, place('a', 'x'), none), true);
    assert.equal(mayMakeRecord(holder, place('a', null), none), true);
    assert.equal(mayMakeRecord(holder, place(null, null), none), false); // the tenant needs `*`/`*`
    assert.equal(mayMakeRecord(holder, place('b', 'x'), none), false);
    assert.equal(mayMakeRecord(holder, free('a', 'x'), none), false);
    assert.equal(mayMakeRecord(releaser, free(null, null), none), true);
    assert.equal(mayMakeRecord(releaser, place('a', 'x'), none), false);
    assert.equal(mayMakeRecord(admin, place('a', 'x'), none), false);
    assert.equal(mayMakeRecord(admin, free('a', 'x'), none), false);
    // A prefix rule does not cover the whole namespace it is a prefix in.
    const prefix = caller([{ namespace: 'a', name: 'x*', capabilities: ['hold'] }]);
    assert.equal(mayMakeRecord(prefix, place('a', 'x1'), none), true);
    assert.equal(mayMakeRecord(prefix, place('a', null), none), false);
    // The record names who placed it: it must be the caller. Another tenant's hold: never.
    assert.equal(mayMakeRecord(holder, place('a', 'x', 'someone-else'), none), false);
    assert.equal(mayMakeRecord(holder, { ...place('a', 'x'), tenant: 'u' }, none), false);
    const root: Caller = { tenant: 't', accessor: 'r', root: true, can: () => true };
    assert.equal(mayMakeRecord(root, { ...free(null, null, 'r'), tenant: 'u' }, none), true);
  });
});

describe('hold records need k endorsements (I-T3)', () => {
  const { ids, trust, codecOf, endorse, remove } = signedTestCluster('dsv-hold-authority-');
  after(remove);

  it('I-C2b: one node alone can neither place nor release a hold; an endorsed record applies once', () => {
    const db = new DatabaseSync(':memory:');
    const view = new ViewStore(db);
    const refused: string[] = [];
    const sm = new SecretStateMachine(view, new SqliteShardStore(db, sealer, 'node-2'), {
      pendingTimeoutMs: 60_000,
      authority: new RecordAuthority(
        new SignatureVerifier(trust[2]!.manifest),
        { quorum: 2, writeQuorum: 2, placement: () => ids },
        view,
      ),
      onRefused: (_p, _o, reason) => refused.push(reason),
    });
    let offset = 0;
    const apply = (bytes: Uint8Array) =>
      inTransaction(db, () => sm.apply(0, offset++, codecOf(2).decode(0, bytes, 1_000), 1_000));
    const placed = hold(1, 'h', 'a', null);
    apply(codecOf(0).encode(0, placed)); // node-0 alone
    assert.equal(view.hold('h'), undefined);
    apply(codecOf(0).encode(0, { ...placed, endorsements: [endorse(1, placed)] }));
    assert.equal(view.hold('h')?.namespace, 'a');
    const freed = release(2, placed);
    apply(codecOf(1).encode(0, freed)); // node-1 alone
    assert.equal(view.hold('h')?.releasedAt, null);
    const endorsed = codecOf(1).encode(0, { ...freed, endorsements: [endorse(2, freed)] });
    apply(endorsed);
    assert.equal(view.hold('h')?.releasedBy, 'acc-2');
    apply(endorsed); // a copy appended again by a log writer
    assert.deepEqual(refused, ['not-endorsed', 'not-endorsed', 'replayed']);
  });
});
