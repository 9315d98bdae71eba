// Proactive share refresh in the state machine (I-R1, I-X1): one refresh per version at a time, rate limits
// and timeouts in log time, the switch to a new generation only from the refresher with every participant's
// verified receipt, and the same view from the same log prefix however it is batched.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { inTransaction } from '../platform/node-database.ts';
import { SqliteShardStore } from '../shards/index.ts';
import { signDigest, SignatureVerifier } from '../trust/index.ts';
import { ViewStore } from '../view/index.ts';
import type { CommitEntry, IntentEntry, LogEntry } from './log-entry.ts';
import { receiptDigest, refreshReceiptDigest } from './record-digests.ts';
import { RecordAuthority } from './record-authority.ts';
import type {
  RefreshAbortEntry,
  RefreshCommitEntry,
  RefreshReceipt,
  RefreshStartEntry,
} from './refresh-entry.ts';
import type { RefreshLimits } from './refresh-machine.ts';
import { SecretStateMachine } from './state-machine.ts';
import { signedTestCluster } from './testing/signed-cluster.ts';

const passThrough = {
  kind: 'test',
  seal: async (_: unknown, s: Uint8Array) => s,
  open: async (_: unknown, s: Uint8Array) => s,
};
const LIMITS: RefreshLimits = { timeoutMs: 1_000, minIntervalMs: 5_000, maxStartsPerSecond: 2 };
const key = { tenant: 't', namespace: 'ns', name: 'k' };

/** A node's view, shard store and state machine on an in-memory database. */
function machine(authority?: (view: ViewStore) => RecordAuthority) {
  const db = new DatabaseSync(':memory:');
  const view = new ViewStore(db);
  const shards = new SqliteShardStore(db, passThrough, 'node-0');
  const refused: string[] = [];
  const sm = new SecretStateMachine(view, shards, {
    pendingTimeoutMs: 60_000,
    refresh: LIMITS,
    ...(authority ? { authority: authority(view) } : {}),
    onRefused: (_partition, _offset, reason) => refused.push(reason),
  });
  let offset = 0;
  /** Applies records as signed by `signer`, each appended at log time `at`. */
  const apply = (signer: string, at: number, ...entries: LogEntry[]) =>
    inTransaction(db, () => {
      for (const entry of entries) sm.apply(0, offset++, { signer, entry, timestamp: at });
    });
  return { db, view, shards, refused, apply, sm };
}

const intent: IntentEntry = {
  type: 'intent',
  writeId: 'w1',
  tenant: 't',
  time: 1,
  coordinator: 'node-0',
  ops: [{ op: 'create', namespace: 'ns', name: 'k' }],
  endorsements: [],
};
const unsignedCommit: CommitEntry = {
  type: 'commit',
  writeId: 'w1',
  tenant: 't',
  time: 2,
  shards: [0, 1, 2].map((i) => ({
    namespace: 'ns',
    name: 'k',
    node: `node-${i}`,
    index: i,
    commitment: `c${i}`,
    receipt: 'r',
  })),
};

const start = (session: string, generation = 1, participants = [0, 1, 2]): RefreshStartEntry => ({
  type: 'refresh-start',
  tenant: 't',
  time: 0,
  namespace: 'ns',
  name: 'k',
  version: 1,
  writeId: 'w1',
  generation,
  session,
  participants,
});
const commit = (session: string, receipts: RefreshReceipt[]): RefreshCommitEntry => ({
  type: 'refresh-commit',
  tenant: 't',
  time: 0,
  session,
  receipts,
});
const abort = (session: string): RefreshAbortEntry => ({
  type: 'refresh-abort',
  tenant: 't',
  time: 0,
  session,
  reason: 'unavailable',
});
const plainReceipts = (tag: string): RefreshReceipt[] =>
  [0, 1, 2].map((i) => ({ index: i, node: `node-${i}`, commitment: `${tag}${i}`, receipt: 'sig' }));
const at = (generation: number) => ({ key, version: 1, writeId: 'w1', generation });

describe('refresh in the state machine', () => {
  it('I-R1: start then commit switches the generation, its commitments and the staged share; the old one stays', async () => {
    const m = machine();
    m.apply('node-0', 1_000, intent, unsignedCommit);
    m.shards.put(await m.shards.seal(at(0), 0, new Uint8Array([1])), 'committed');
    m.apply('node-1', 2_000, start('s1'));
    assert.equal(m.view.refreshes.get(0, 's1')?.state, 'pending');
    m.shards.put(await m.shards.seal(at(1), 0, new Uint8Array([2])), 'staged');
    m.apply('node-1', 2_500, commit('s1', plainReceipts('n')));
    const info = m.view.version(key, 1);
    assert.equal(info?.generation, 1);
    assert.deepEqual(info?.commitments, { '0': 'n0', '1': 'n1', '2': 'n2' });
    assert.equal(m.view.refreshes.get(0, 's1')?.state, 'committed');
    assert.equal(m.view.refreshes.refreshedAt(key, 1), 2_500);
    assert.deepEqual((await m.shards.read(at(1)))?.share, new Uint8Array([2]));
    assert.deepEqual((await m.shards.read(at(0)))?.share, new Uint8Array([1]), 'kept for the grace period');
    assert.deepEqual(m.refused, []);
  });

  it('I-R1: one refresh per version at a time; stale, mismatched and replayed starts are refused', () => {
    const m = machine();
    m.apply('node-0', 1_000, intent, unsignedCommit);
    m.apply('node-1', 2_000, start('s1', 2)); // generation must be current + 1
    m.apply('node-1', 2_000, start('s1', 1, [0, 1])); // every index holding a commitment takes part
    m.apply('node-1', 2_000, start('s1'));
    m.apply('node-2', 2_100, start('s2'));
    m.apply('node-1', 2_200, start('s1'));
    assert.deepEqual(m.refused, ['refresh-stale', 'refresh-participants', 'refresh-in-progress', 'replayed']);
    // A commit or an abort from anyone but the refresher counts for nothing.
    m.apply('node-2', 2_300, commit('s1', plainReceipts('x')), abort('s1'));
    assert.deepEqual(m.refused.slice(-2), ['not-the-refresher', 'not-the-refresher']);
    assert.equal(m.view.refreshes.get(0, 's1')?.state, 'pending');
  });

  it('I-R1: an abort or a timeout in log time keeps the generation and discards the staged shares', async () => {
    const m = machine();
    m.apply('node-0', 1_000, intent, unsignedCommit);
    m.apply('node-1', 2_000, start('s1'));
    m.shards.put(await m.shards.seal(at(1), 0, new Uint8Array([2])), 'staged');
    m.apply('node-1', 2_100, abort('s1'));
    assert.equal(m.view.refreshes.get(0, 's1')?.reason, 'unavailable');
    assert.deepEqual(m.shards.counts().staged, 0);
    m.apply('node-2', 2_200, start('s2'));
    m.shards.put(await m.shards.seal(at(1), 0, new Uint8Array([3])), 'staged');
    m.apply('node-0', 3_300, { type: 'tick', time: 0 }); // log time past the 1 s timeout
    assert.equal(m.view.refreshes.get(0, 's2')?.state, 'aborted');
    assert.equal(m.view.refreshes.get(0, 's2')?.reason, 'timeout');
    m.apply('node-2', 3_200, commit('s2', plainReceipts('late')));
    assert.equal(m.view.version(key, 1)?.generation, 0, 'a commit after the timeout changes nothing');
    assert.deepEqual(m.shards.counts().staged, 0);
  });

  it('I-R1: rate limits in log time: a version refreshed too recently, a tenant starting too many per second', () => {
    const m = machine();
    m.apply('node-0', 1_000, intent, unsignedCommit);
    m.apply('node-1', 2_000, start('s1'), commit('s1', plainReceipts('a')));
    m.apply('node-1', 6_000, start('s2', 2)); // 4 s after the last refresh: min interval is 5 s
    assert.deepEqual(m.refused, ['refresh-too-soon']);
    m.apply('node-1', 7_000, start('s3', 2));
    assert.equal(m.view.refreshes.get(0, 's3')?.state, 'pending');
    // Two starts per log-second per tenant: other versions of the same tenant are refused within it.
    const other = (name: string): LogEntry[] => [
      { ...intent, writeId: `w-${name}`, ops: [{ op: 'create', namespace: 'ns', name }] },
      { ...unsignedCommit, writeId: `w-${name}`, shards: unsignedCommit.shards.map((s) => ({ ...s, name })) },
    ];
    m.apply('node-0', 7_100, ...other('b'), ...other('c'));
    const startOf = (name: string, session: string): LogEntry => ({
      ...start(session),
      name,
      writeId: `w-${name}`,
    });
    m.apply('node-1', 7_200, startOf('b', 's4'), startOf('c', 's5'));
    assert.equal(m.view.refreshes.get(0, 's4')?.state, 'pending');
    assert.equal(m.view.refreshes.get(0, 's5'), undefined);
    assert.equal(m.refused.at(-1), 'refresh-rate-limited');
    m.apply('node-1', 8_300, startOf('c', 's6'));
    assert.equal(m.view.refreshes.get(0, 's6')?.state, 'pending', 'a log-second later it is allowed');
  });

  it('I-R1: a share restored at a superseded generation changes nothing', () => {
    const m = machine();
    m.apply('node-0', 1_000, intent, unsignedCommit);
    m.apply('node-1', 2_000, start('s1'), commit('s1', plainReceipts('n')));
    const restored = (generation: number, commitment: string): LogEntry => ({
      type: 'share-restored',
      time: 0,
      ...key,
      version: 1,
      writeId: 'w1',
      index: 2,
      commitment,
      rid: commitment,
      generation,
    });
    m.apply('node-2', 2_100, restored(0, 'old-generation'));
    assert.equal(m.view.version(key, 1)?.commitments?.['2'], 'n2');
    m.apply('node-2', 2_200, restored(1, 'current'));
    assert.equal(m.view.version(key, 1)?.commitments?.['2'], 'current');
  });

  it('I-X1: the same log prefix gives the same view, however the records are batched', () => {
    const sessions = ['s1', 's2', 's3'];
    const record = fc.oneof(
      fc.record({
        kind: fc.constant('start' as const),
        session: fc.constantFrom(...sessions),
        gen: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ kind: fc.constant('commit' as const), session: fc.constantFrom(...sessions) }),
      fc.record({ kind: fc.constant('abort' as const), session: fc.constantFrom(...sessions) }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    const dump = (db: DatabaseSync) =>
      ['view_applied', 'view_versions', 'view_refreshes', 'view_rejected_records'].map((table) =>
        db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all(),
      );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            step: record,
            signer: fc.constantFrom('node-1', 'node-2'),
            gap: fc.integer({ min: 0, max: 1_500 }),
          }),
          {
            maxLength: 25,
          },
        ),
        fc.integer({ min: 1, max: 5 }),
        (steps, batch) => {
          const entries = steps.map(({ step, signer, gap }, i) => {
            const entry: LogEntry =
              step.kind === 'start'
                ? start(step.session, step.gen)
                : step.kind === 'commit'
                  ? commit(step.session, plainReceipts(`g${i}`))
                  : step.kind === 'abort'
                    ? abort(step.session)
                    : { type: 'tick', time: 0 };
            return { signer, entry, gap };
          });
          const views = [1, batch].map((size) => {
            const db = new DatabaseSync(':memory:');
            const view = new ViewStore(db);
            const sm = new SecretStateMachine(view, new SqliteShardStore(db, passThrough, 'node-0'), {
              pendingTimeoutMs: 60_000,
              refresh: LIMITS,
            });
            let time = 1_000;
            const all = [
              { signer: 'node-0', entry: intent, gap: 0 },
              { signer: 'node-0', entry: unsignedCommit, gap: 0 },
              ...entries,
            ];
            for (let i = 0; i < all.length; i += size) {
              inTransaction(db, () => {
                for (let j = i; j < Math.min(i + size, all.length); j++) {
                  const { signer, entry, gap } = all[j]!;
                  time += gap;
                  sm.apply(0, j, { signer, entry, timestamp: time });
                }
              });
            }
            return dump(db);
          });
          assert.deepEqual(views[0], views[1]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const { ids, trust, clusterId, codecOf, endorse, operator, remove } =
  signedTestCluster('dsv-refresh-authority-');
after(remove);

/** Participant i's signed refresh receipt over `commitment`, for the start applied at `startOffset`. */
function signedReceipt(
  i: number,
  session: string,
  commitment = `n${i}`,
  generation = 1,
  startOffset = 2,
): RefreshReceipt {
  return {
    index: i,
    node: ids[i]!,
    commitment,
    receipt: signDigest(
      trust[i]!.identity.signingKey,
      refreshReceiptDigest(clusterId, {
        session,
        partition: 0,
        startOffset,
        ...key,
        version: 1,
        writeId: 'w1',
        generation,
        index: i,
        commitment,
        node: ids[i]!,
      }),
    ),
  };
}

describe('refresh record authority', () => {
  function signedNode() {
    const m = machine(
      (view) =>
        new RecordAuthority(
          new SignatureVerifier(trust[2]!.manifest),
          { quorum: 2, writeQuorum: 2, placement: () => ids },
          view,
        ),
    );
    let offset = 0;
    const codec = (signer: number | 'operator') => (signer === 'operator' ? operator : codecOf(signer));
    const apply = (signer: number | 'operator', entry: LogEntry, timestamp = 2_000) =>
      inTransaction(m.db, () =>
        m.sm.apply(0, offset++, codecOf(2).decode(0, codec(signer).encode(0, entry), timestamp)),
      );
    // The version: w1 created by node-0 with every holder's signed stage receipt.
    apply(0, { ...intent, endorsements: [endorse(1, intent)] }, 1_000);
    apply(
      0,
      {
        type: 'commit',
        writeId: 'w1',
        tenant: 't',
        time: 2,
        shards: [0, 1, 2].map((i) => ({
          namespace: key.namespace,
          name: key.name,
          node: ids[i]!,
          index: i,
          commitment: `c${i}`,
          receipt: signDigest(
            trust[i]!.identity.signingKey,
            receiptDigest(clusterId, {
              writeId: 'w1',
              ...key,
              version: 1,
              index: i,
              commitment: `c${i}`,
              node: ids[i]!,
            }),
          ),
        })),
      },
      1_000,
    );
    return { ...m, apply };
  }

  it('I-R1: a refresh-start needs no endorsement; a commit counts only from its starter, with every participant’s receipt', () => {
    const n = signedNode();
    assert.deepEqual(n.refused, []);
    assert.equal(n.view.version(key, 1)?.generation, 0);
    n.apply(1, start('s1'));
    assert.equal(n.view.refreshes.get(0, 's1')?.refresher, 'node-1');
    const all = [0, 1, 2].map((i) => signedReceipt(i, 's1'));
    n.apply(0, commit('s1', all)); // signed by another member than the starter
    n.apply(1, commit('s1', all.slice(0, 2))); // a participant's receipt is missing
    n.apply(1, commit('s1', [all[0]!, all[1]!, { ...all[2]!, commitment: 'forged' }])); // altered
    n.apply(1, commit('s1', [all[0]!, all[1]!, signedReceipt(2, 'other-session')])); // another session's
    n.apply(1, commit('s1', [all[0]!, all[1]!, { ...signedReceipt(1, 's1'), index: 2 }])); // not its index
    assert.equal(n.view.version(key, 1)?.generation, 0);
    assert.deepEqual(n.refused, [
      'not-the-refresher',
      'missing-refresh-receipt',
      'missing-refresh-receipt',
      'missing-refresh-receipt',
      'missing-refresh-receipt',
    ]);
    n.apply(1, commit('s1', all));
    assert.equal(n.view.version(key, 1)?.generation, 1);
    assert.deepEqual(n.view.version(key, 1)?.commitments, { '0': 'n0', '1': 'n1', '2': 'n2' });
  });

  it('I-R1: a receipt signed for another generation, or by a non-holder, does not count; the operator cannot refresh', () => {
    const n = signedNode();
    n.apply(2, start('s1'));
    const bad = [signedReceipt(0, 's1'), signedReceipt(1, 's1'), signedReceipt(2, 's1', 'n2', 2)];
    n.apply(2, commit('s1', bad));
    assert.equal(n.refused.at(-1), 'missing-refresh-receipt');
    assert.equal(n.view.version(key, 1)?.generation, 0);
    n.apply('operator', start('s2'));
    assert.equal(n.refused.at(-1), 'operator-only');
    assert.equal(n.view.refreshes.get(0, 's2'), undefined);
  });
  it('I-R4: receipts are bound to their start record: a session id started again after it was forgotten cannot commit them', () => {
    const n = signedNode();
    n.apply(1, start('s1')); // offset 2
    const old = [0, 1, 2].map((i) => signedReceipt(i, 's1'));
    n.apply(1, abort('s1'));
    // A day of log time later any start forgets finished sessions; the same id is then accepted again…
    const day = 24 * 60 * 60 * 1000 + 10_000;
    n.apply(1, start('s2'), day); // offset 4: accepted, it forgets s1
    n.apply(1, abort('s2'), day);
    n.apply(1, start('s1'), day + 1); // offset 6
    assert.equal(n.view.refreshes.get(0, 's1')?.state, 'pending');
    assert.equal(n.view.refreshes.get(0, 's1')?.startOffset, 6);
    // …but the receipts signed for the first start count for nothing.
    n.apply(1, commit('s1', old), day + 2);
    assert.equal(n.refused.at(-1), 'missing-refresh-receipt');
    assert.equal(n.view.version(key, 1)?.generation, 0);
    n.apply(
      1,
      commit(
        's1',
        [0, 1, 2].map((i) => signedReceipt(i, 's1', `n${i}`, 1, 6)),
      ),
      day + 3,
    );
    assert.equal(n.view.version(key, 1)?.generation, 1);
  });
});
