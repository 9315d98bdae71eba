// Who may make a record take effect (trust-boundaries design §2–§4, §6), against real keys, real envelopes
// and the real state machine: one node's signature alone grants, commits and moves nothing.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { signedTestCluster } from './testing/signed-cluster.ts';
import { ControlStore } from '../control/index.ts';
import { inTransaction } from '../platform/node-database.ts';
import { SqliteShardStore } from '../shards/index.ts';
import { signDigest, SignatureVerifier, tokenVerifiers } from '../trust/index.ts';
import { ViewStore } from '../view/index.ts';
import type { LogEntry } from './log-entry.ts';
import { receiptDigest } from './record-digests.ts';
import { RecordAuthority } from './record-authority.ts';
import { SecretStateMachine } from './state-machine.ts';

const { ids, trust, clusterId, codecOf, sealUnchecked, operator, endorse, remove } =
  signedTestCluster('dsv-authority-');
after(remove);

function node() {
  const db = new DatabaseSync(':memory:');
  const view = new ViewStore(db);
  const control = new ControlStore(db, 'node-2');
  const passThrough = {
    kind: 'test',
    seal: async (_: unknown, s: Uint8Array) => s,
    open: async (_: unknown, s: Uint8Array) => s,
  };
  const shards = new SqliteShardStore(db, passThrough, 'node-2');
  const refused: string[] = [];
  const machine = new SecretStateMachine(view, shards, {
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
  const apply = (bytes: Uint8Array, timestamp = 1_000) =>
    inTransaction(db, () => machine.apply(0, offset++, codecOf(2).decode(0, bytes, timestamp), timestamp));
  return { view, control, refused, apply };
}

const rootToken = (accessor: string): LogEntry => ({
  type: 'token-create',
  accessor,
  verifiers: tokenVerifiers(`dsv.${accessor.padEnd(43, 'r')}`, clusterId, ids),
  creator: null,
  tenant: null,
  policies: [],
  displayName: 'root',
  expiresAt: null,
  time: 1,
  rid: `rid-${accessor}`,
  endorsements: [],
});

/** The write both tests below build on: w1 creates t/ns/k, coordinated by node-0. */
const intent: LogEntry = {
  type: 'intent',
  writeId: 'w1',
  tenant: 't',
  time: 1,
  coordinator: 'node-0',
  ops: [{ op: 'create', namespace: 'ns', name: 'k' }],
  endorsements: [],
};

/** Holder i's signed stage receipt for its shard of w1. */
const receipt = (i: number, commitment = `c${i}`) => ({
  namespace: 'ns',
  name: 'k',
  node: ids[i]!,
  index: i,
  commitment,
  receipt: signDigest(
    trust[i]!.identity.signingKey,
    receiptDigest(clusterId, {
      writeId: 'w1',
      tenant: 't',
      namespace: 'ns',
      name: 'k',
      version: 1,
      index: i,
      commitment,
      node: ids[i]!,
    }),
  ),
});

describe('record authority', () => {
  it('I-T3: a grant signed by one node alone takes no effect; with k endorsements or the operator key it does, once', () => {
    const n = node();
    n.apply(codecOf(0).encode(0, rootToken('alone')));
    assert.equal(n.control.tokenByAccessor('alone'), undefined);
    assert.deepEqual(n.refused, ['not-endorsed']);
    const endorsed = rootToken('endorsed');
    n.apply(codecOf(0).encode(0, { ...endorsed, endorsements: [endorse(1, endorsed)] } as LogEntry));
    assert.ok(n.control.tokenByAccessor('endorsed'));
    // A node's endorsement of itself, or a signature over another body, does not count.
    const self = rootToken('self');
    n.apply(
      codecOf(0).encode(0, {
        ...self,
        endorsements: [endorse(0, self), endorse(1, rootToken('x'))],
      } as LogEntry),
    );
    assert.equal(n.control.tokenByAccessor('self'), undefined);
    const byOperator = operator.encode(0, rootToken('operator'));
    n.apply(byOperator);
    assert.ok(n.control.tokenByAccessor('operator'));
    n.apply(
      codecOf(0).encode(0, {
        type: 'token-revoke',
        accessor: 'operator',
        time: 2,
        rid: 'rv',
        endorsements: [],
      }),
    );
    assert.equal(
      n.control.tokenByAccessor('operator')?.revokedAt,
      null,
      'an unendorsed revoke is refused too',
    );
    n.apply(byOperator);
    assert.equal(n.refused.at(-1), 'replayed');
  });

  it('I-T3: an unendorsed intent is refused; a commit needs the coordinator’s signature and W receipts (I-X3)', () => {
    const n = node();
    n.apply(codecOf(0).encode(0, intent));
    assert.equal(n.view.write('w1'), undefined);
    n.apply(codecOf(1).encode(0, { ...intent, endorsements: [endorse(1, intent)] }));
    assert.equal(n.view.write('w1'), undefined, 'signed by a node other than the coordinator it names');
    n.apply(codecOf(0).encode(0, { ...intent, endorsements: [endorse(1, intent)] }));
    assert.equal(n.view.write('w1')?.state, 'pending');
    const commit = (shards: ReturnType<typeof receipt>[]): LogEntry => ({
      type: 'commit',
      writeId: 'w1',
      tenant: 't',
      time: 2,
      shards,
    });
    n.apply(codecOf(1).encode(0, commit([receipt(0), receipt(1)])));
    n.apply(codecOf(0).encode(0, commit([receipt(0)])));
    n.apply(codecOf(0).encode(0, commit([receipt(0), { ...receipt(1), commitment: 'other' }])));
    assert.equal(n.view.write('w1')?.state, 'pending');
    n.apply(codecOf(0).encode(0, commit([receipt(0), receipt(1)])));
    assert.equal(n.view.write('w1')?.state, 'committed');
    assert.deepEqual(n.view.version({ tenant: 't', namespace: 'ns', name: 'k' }, 1)?.commitments, {
      '0': 'c0',
      '1': 'c1',
    });
    assert.deepEqual(n.refused, [
      'not-endorsed',
      'coordinator-mismatch',
      'not-the-coordinator',
      'too-few-receipts',
      'too-few-receipts',
    ]);
  });

  it('I-L6: a share-restored record applies once: a replayed copy cannot roll a commitment back', () => {
    const n = node();
    n.apply(codecOf(0).encode(0, { ...intent, endorsements: [endorse(1, intent)] }));
    n.apply(
      codecOf(0).encode(0, {
        type: 'commit',
        writeId: 'w1',
        tenant: 't',
        time: 2,
        shards: [receipt(0), receipt(1)],
      }),
    );
    const restored = (commitment: string, rid?: string): LogEntry => ({
      type: 'share-restored',
      tenant: 't',
      time: 3,
      namespace: 'ns',
      name: 'k',
      version: 1,
      writeId: 'w1',
      index: 2,
      commitment,
      ...(rid === undefined ? {} : { rid }),
    });
    const first = codecOf(2).encode(0, restored('old', 'rid-1'));
    n.apply(first);
    n.apply(codecOf(2).encode(0, restored('new', 'rid-2')));
    n.apply(first); // a log writer appends the older record again
    n.apply(codecOf(2).encode(0, restored('no-rid')));
    assert.equal(n.view.version({ tenant: 't', namespace: 'ns', name: 'k' }, 1)?.commitments?.['2'], 'new');
    assert.deepEqual(n.refused, ['replayed', 'replayed']);
  });

  it('I-G4: only the operator revokes a node; from that point of the partition its signatures count no more', () => {
    const n = node();
    n.apply(codecOf(0).encode(0, { type: 'node-revoke', rid: 'x1', nodeId: 'node-1', time: 1 }));
    assert.equal(n.refused.at(-1), 'operator-only');
    n.apply(operator.encode(0, { type: 'node-revoke', rid: 'x2', nodeId: 'node-1', time: 1 }));
    const endorsed = rootToken('after-revoke');
    n.apply(codecOf(0).encode(0, { ...endorsed, endorsements: [endorse(1, endorsed)] } as LogEntry));
    assert.equal(n.control.tokenByAccessor('after-revoke'), undefined, 'a revoked endorser does not count');
    n.apply(codecOf(1).encode(0, { type: 'tick', time: 1 }));
    assert.equal(n.refused.at(-1), 'revoked-signer');
  });

  it('I-X4: log time is the log’s append time: a record claiming a time far ahead moves nothing', () => {
    const n = node();
    n.apply(codecOf(0).encode(0, { type: 'tick', time: Date.now() + 150_000 }), 5_000);
    assert.equal(n.view.applied(0).logTime, 5_000);
    n.apply(codecOf(0).encode(0, { type: 'tick', time: 0 }), 4_000);
    assert.equal(n.view.applied(0).logTime, 5_000, 'and never moves back');
  });

  it('I-L6: a malformed or unauthenticated record is a counted no-op, and the partition moves on', () => {
    const n = node();
    n.apply(
      sealUnchecked(0, 0, {
        type: 'intent',
        writeId: 'x',
        tenant: 't',
        time: 1,
        coordinator: 'node-0',
        ops: null,
      }),
    );
    n.apply(new TextEncoder().encode('{"type":"tick","time":1}'));
    n.apply(new Uint8Array([1, 2, 3]));
    assert.deepEqual(n.refused, ['schema', 'not-an-envelope', 'not-an-envelope']);
    assert.equal(n.view.applied(0).nextOffset, 3);
    assert.deepEqual(n.view.rejectedRecords(), { schema: 1, 'not-an-envelope': 2 });
  });
});
