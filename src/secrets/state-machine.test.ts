// Property and unit tests of the state machine: I-X1 (same log prefix ⇒ same state), I-X2 (dense versions),
// first-of-commit/abort wins, log-time timeouts, idempotency, repair compare-and-set.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { inTransaction } from '../platform/node-database.ts';
import { SqliteShardStore } from '../shards/index.ts';
import { ViewStore } from '../view/index.ts';
import type { LogEntry } from './log-entry.ts';
import { SecretStateMachine } from './state-machine.ts';

const sealer = {
  kind: 'test',
  seal: async (_: unknown, s: Uint8Array) => s,
  open: async (_: unknown, s: Uint8Array) => s,
};
const TIMEOUT = 1000;

function machine(db = new DatabaseSync(':memory:')) {
  const view = new ViewStore(db);
  const shards = new SqliteShardStore(db, sealer, 'node-0');
  return { db, view, shards, sm: new SecretStateMachine(view, shards, { pendingTimeoutMs: TIMEOUT }) };
}

/** Applies entries as if signed by their coordinator (or node `n`) and appended at their own `time`. */
function applyAll(
  m: ReturnType<typeof machine>,
  entries: readonly LogEntry[],
  batch = 1,
  from = 0,
  offset = 0,
): void {
  const signed = (entry: LogEntry) => ({
    signer: 'coordinator' in entry ? entry.coordinator : 'n',
    entry,
    timestamp: entry.time,
  });
  for (let i = from; i < entries.length; i += batch) {
    inTransaction(m.db, () => {
      for (let j = i; j < Math.min(i + batch, entries.length); j++) {
        const entry = entries[j];
        m.sm.apply(0, offset + j, entry && signed(entry));
      }
    });
  }
}

const dump = (db: DatabaseSync) =>
  ['view_applied', 'view_keys', 'view_versions', 'view_writes', 'view_idempotency'].map((table) =>
    db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3`).all(),
  );

const names = ['a', 'b', 'a/b', 'a:b'] as const;
const writeIds = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'] as const;

/** Random but well-formed logs over a tiny key space, so that conflicts, races and timeouts really happen. */
const entryArb: fc.Arbitrary<LogEntry> = fc.oneof(
  fc.record({
    type: fc.constant('intent' as const),
    writeId: fc.constantFrom(...writeIds),
    tenant: fc.constantFrom('t1', 't2'),
    time: fc.integer({ min: 0, max: 5000 }),
    coordinator: fc.constant('node-0'),
    endorsements: fc.constant([]),
    ops: fc.array(
      fc.oneof(
        fc.record({
          op: fc.constantFrom('create' as const, 'update' as const, 'delete' as const),
          namespace: fc.constant('ns'),
          name: fc.constantFrom(...names),
        }),
        fc.record({
          op: fc.constant('read' as const),
          namespace: fc.constant('ns'),
          name: fc.constantFrom(...names),
        }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    type: fc.constant('commit' as const),
    writeId: fc.constantFrom(...writeIds),
    tenant: fc.constantFrom('t1', 't2'),
    time: fc.integer({ min: 0, max: 5000 }),
    shards: fc.constant([]),
  }),
  fc.record({
    type: fc.constant('abort' as const),
    writeId: fc.constantFrom(...writeIds),
    tenant: fc.constantFrom('t1', 't2'),
    time: fc.integer({ min: 0, max: 5000 }),
    reason: fc.constant('quorum' as const),
  }),
  fc.record({ type: fc.constant('tick' as const), time: fc.integer({ min: 0, max: 8000 }) }),
);

describe('secret state machine', () => {
  it('I-V1: the view is a function of the log alone: two nodes replaying one log agree', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 40 }), (entries) => {
        const first = machine();
        const second = machine();
        applyAll(first, entries);
        applyAll(second, entries);
        assert.deepEqual(dump(first.db), dump(second.db));
      }),
      { numRuns: 100 },
    );
  });

  it('I-X1: the same log prefix gives the same state, whatever the transaction batching', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (entries, batch) => {
        const one = machine();
        const other = machine();
        applyAll(one, entries, 1);
        applyAll(other, entries, batch);
        assert.deepEqual(dump(one.db), dump(other.db));
      }),
      { numRuns: 300 },
    );
  });

  it('I-V2: a node that stops and replays from its stored offset reaches the same state', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 40 }), fc.nat(), (entries, cutSeed) => {
        const cut = entries.length === 0 ? 0 : cutSeed % entries.length;
        const straight = machine();
        applyAll(straight, entries);
        const db = new DatabaseSync(':memory:');
        applyAll(machine(db), entries.slice(0, cut));
        const resumed = machine(db); // a fresh process over the same database
        applyAll(resumed, entries, 1, resumed.view.applied(0).nextOffset);
        assert.deepEqual(dump(straight.db), dump(db));
      }),
      { numRuns: 200 },
    );
  });

  it('I-X2: committed versions of every key are dense from 1 and valid_from strictly increases', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 80 }), (entries) => {
        const m = machine();
        applyAll(m, entries);
        for (const row of m.db
          .prepare('SELECT tenant, namespace, name, latest_version, live FROM view_keys')
          .all()) {
          const key = {
            tenant: String(row.tenant),
            namespace: String(row.namespace),
            name: String(row.name),
          };
          const versions = m.view.versions(key);
          assert.deepEqual(
            versions.map((v) => v.version),
            versions.map((_, i) => i + 1),
          );
          if (row.live === 1) assert.equal(versions.length, Number(row.latest_version));
          for (let i = 1; i < versions.length; i++) {
            const previous = versions[i - 1];
            const current = versions[i];
            assert.ok(previous && current && previous.validFrom < current.validFrom);
            assert.equal(previous.validTo, current.validFrom);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('secret state machine decisions (DESIGN §5)', () => {
  const key = { tenant: 't', namespace: 'ns', name: 'k' };
  const intent = (
    writeId: string,
    op: 'create' | 'update' | 'delete',
    time = 10,
    idempotencyKey?: string,
  ): LogEntry => ({
    type: 'intent',
    writeId,
    tenant: 't',
    time,
    coordinator: 'n',
    endorsements: [],
    ops: [{ op, namespace: 'ns', name: 'k' }],
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  const commit = (writeId: string, time = 20): LogEntry => ({
    type: 'commit',
    writeId,
    tenant: 't',
    time,
    shards: [],
  });
  const abort = (writeId: string, time = 20): LogEntry => ({
    type: 'abort',
    writeId,
    tenant: 't',
    time,
    reason: 'quorum',
  });

  it('a duplicate create is rejected 409 exists; a second write while one is pending is 409 conflict', () => {
    const m = machine();
    applyAll(m, [intent('w1', 'create'), intent('w2', 'create'), commit('w1'), intent('w3', 'create')]);
    assert.equal(m.view.write('w2')?.outcome.rejection?.code, 'DSV_WRITE_CONFLICT');
    assert.equal(m.view.write('w3')?.outcome.rejection?.code, 'DSV_SECRET_EXISTS');
    assert.equal(m.view.key(key)?.latestVersion, 1);
  });

  it('update and delete of a missing key are 404; a re-create after delete starts again at version 1', () => {
    const m = machine();
    applyAll(m, [intent('u', 'update'), intent('d', 'delete')]);
    assert.equal(m.view.write('u')?.outcome.rejection?.code, 'DSV_SECRET_NOT_FOUND');
    assert.equal(m.view.write('d')?.outcome.rejection?.code, 'DSV_SECRET_NOT_FOUND');
    applyAll(
      m,
      [
        intent('c1', 'create'),
        commit('c1'),
        intent('u1', 'update'),
        commit('u1'),
        intent('d1', 'delete'),
        commit('d1'),
        intent('c2', 'create'),
        commit('c2'),
      ],
      1,
      2,
    );
    assert.deepEqual(
      m.view.versions(key).map((v) => v.version),
      [1],
    );
  });

  it('whichever of commit and abort comes first in the log wins', () => {
    const m = machine();
    applyAll(m, [
      intent('w1', 'create'),
      abort('w1'),
      commit('w1'),
      intent('w2', 'create'),
      commit('w2'),
      abort('w2'),
    ]);
    assert.equal(m.view.write('w1')?.state, 'aborted');
    assert.equal(m.view.write('w2')?.state, 'committed');
    assert.equal(m.view.key(key)?.latestVersion, 1);
  });

  it('I-S3: a pending write older than the timeout in log time is aborted and its staged shards removed', () => {
    const m = machine();
    applyAll(m, [intent('w1', 'create', 100)]);
    m.shards.put(
      { address: { key, version: 1, writeId: 'w1' }, index: 0, sealed: new Uint8Array([1]) },
      'staged',
    );
    applyAll(
      m,
      [intent('w1', 'create', 100), { type: 'tick', time: 100 + TIMEOUT + 1 }, commit('w1', 5000)],
      1,
      1,
    );
    assert.equal(m.view.write('w1')?.state, 'aborted');
    assert.deepEqual(m.shards.counts(), { staged: 0, committed: 0 });
    assert.equal(m.view.key(key)?.live, false);
  });

  it('a retry with a seen idempotency key is marked a duplicate of the original write', () => {
    const m = machine();
    applyAll(m, [intent('w1', 'create', 10, 'idem-1'), commit('w1'), intent('w2', 'create', 30, 'idem-1')]);
    assert.equal(m.view.write('w2')?.state, 'duplicate');
    assert.equal(m.view.write('w2')?.outcome.duplicateOf, 'w1');
  });

  it('a restored share replaces only its own index’s commitment and adds its holder (design 2026-12-02 §7)', () => {
    const m = machine();
    applyAll(m, [intent('w1', 'create'), commit('w1')]);
    applyAll(
      m,
      [
        {
          type: 'share-restored',
          tenant: 't',
          time: 30,
          namespace: 'ns',
          name: 'k',
          version: 1,
          writeId: 'w1',
          index: 2,
          commitment: 'c2',
        },
      ],
      1,
      0,
      2,
    );
    assert.deepEqual(m.view.version(key, 1)?.commitments, { '2': 'c2' });
    assert.deepEqual(m.view.version(key, 1)?.holders, ['n']);
  });
});

describe('compare-and-set (expectedVersion)', () => {
  it('an update with the wrong expected version is rejected 412 in log order; the right one applies', () => {
    const m = machine();
    const update = (writeId: string, expectedVersion: number): LogEntry => ({
      type: 'intent',
      writeId,
      tenant: 't',
      time: 30,
      coordinator: 'n',
      endorsements: [],
      ops: [{ op: 'update', namespace: 'ns', name: 'k', expectedVersion }],
    });
    const create: LogEntry = {
      type: 'intent',
      writeId: 'c',
      tenant: 't',
      time: 10,
      coordinator: 'n',
      endorsements: [],
      ops: [{ op: 'create', namespace: 'ns', name: 'k' }],
    };
    applyAll(m, [
      create,
      { type: 'commit', writeId: 'c', tenant: 't', time: 20, shards: [] },
      update('u1', 1),
      { type: 'commit', writeId: 'u1', tenant: 't', time: 40, shards: [] },
      update('u2', 1),
    ]);
    assert.equal(m.view.write('u1')?.state, 'committed');
    assert.equal(m.view.write('u2')?.outcome.rejection?.code, 'DSV_PRECONDITION_FAILED');
    assert.equal(m.view.key({ tenant: 't', namespace: 'ns', name: 'k' })?.latestVersion, 2);
  });
});
