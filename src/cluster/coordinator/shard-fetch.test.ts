// The read fan-out (issue #10): k holders are asked, not n; a failed or empty answer, or one slower than the
// hedge delay, brings in the next holder; I-C1 as always.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pino from 'pino';
import { DsvError } from '../../errors/index.ts';
import { newBlinding, shareCommitment, splitSecret } from '../../sharing/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import type { ReleasedShard, ShardHolder, ShardReadRequest } from '../shard-holder.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { HEDGE_AFTER_MS, fetchValue, readPolicy } from './shard-fetch.ts';
import { holdersFor } from '../placement.ts';

const key = { tenant: 't1', namespace: 'app', name: 'db-password' };
const nodeIds = ['node-0', 'node-1', 'node-2'];
const value = new TextEncoder().encode('correct horse battery staple');
const writeId = 'w-1';

type Behaviour = 'ok' | 'fail' | 'absent' | { delayMs: number };

function fixture(behaviours: Record<string, Behaviour>) {
  const shares = splitSecret({ ...key, version: 1 }, value, 3, 2);
  const placement = holdersFor(key, nodeIds, 3);
  const released = new Map<string, ReleasedShard>();
  const commitments: Record<string, string> = {};
  placement.forEach((nodeId, index) => {
    const blinding = newBlinding();
    const share = shares[index]?.y ?? new Uint8Array();
    released.set(nodeId, { index, share, blinding });
    commitments[String(index)] = shareCommitment({ ...key, version: 1 }, writeId, index, blinding, share);
  });
  const asked: string[] = [];
  const holder = (nodeId: string): ShardHolder => ({
    nodeId,
    read: async (_request: ShardReadRequest) => {
      asked.push(nodeId);
      const behaviour = behaviours[nodeId] ?? 'ok';
      if (behaviour === 'fail') throw new DsvError('DSV_NODE_UNAVAILABLE');
      if (behaviour === 'absent') return undefined;
      if (typeof behaviour === 'object')
        await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      return released.get(nodeId);
    },
    stage: async () => [],
    endorse: async () => '',
    contribute: async () => new Uint8Array(),
    awaitApplied: async () => undefined,
  });
  const context = {
    nodeId: 'node-0',
    params: { nodeIds, n: 3, k: 2, w: 2, r: 0 },
    log: { partitionCount: 4 },
    applier: { nextOffset: () => 0 },
    holders: new Map(nodeIds.map((nodeId) => [nodeId, holder(nodeId)])),
    membership: { isUp: () => true, markSeen: () => undefined },
    logger: pino({ level: 'silent' }),
  } as unknown as CoordinatorContext;
  const version: VersionInfo = {
    version: 1,
    writeId,
    validFrom: 0,
    validTo: null,
    holders: [],
    commitments,
    generation: 0,
  };
  const caller = { credentialFor: () => ({ kind: 'anonymous' }) } as never;
  return { context, version, asked, caller };
}

void describe('fetchValue: k holders, then more only when needed', () => {
  readPolicy.scrub = () => false;

  void it('asks exactly k holders when they answer, this node first', async () => {
    const { context, version, asked, caller } = fixture({});
    const fetched = await fetchValue(context, key, version, { caller, purpose: 'read' });
    assert.deepEqual(Buffer.from(fetched.value), Buffer.from(value));
    assert.equal(asked.length, 2);
    assert.equal(asked[0], 'node-0');
  });

  void it('asks the next holder at once when one fails or has no shard', async () => {
    for (const behaviour of ['fail', 'absent'] as const) {
      const { context, version, asked, caller } = fixture({ 'node-0': behaviour });
      const fetched = await fetchValue(context, key, version, { caller, purpose: 'read' });
      assert.deepEqual(Buffer.from(fetched.value), Buffer.from(value));
      assert.equal(asked.length, 3, behaviour);
    }
  });

  void it('hedges a slow holder with the next one', async () => {
    const slow = { delayMs: HEDGE_AFTER_MS * 20 };
    const { context, version, asked, caller } = fixture({ 'node-1': slow, 'node-2': slow });
    const other = holdersFor(key, nodeIds, 3).find((node) => node !== 'node-0');
    assert.ok(other);
    const started = performance.now();
    const fetched = await fetchValue(context, key, version, { caller, purpose: 'read' });
    assert.deepEqual(Buffer.from(fetched.value), Buffer.from(value));
    assert.equal(asked.length, 3);
    // Both others are slow here, so the answer waits for one of them; the hedge only asked earlier.
    assert.ok(performance.now() - started >= slow.delayMs - 5);
  });

  void it('answers 503 DSV_INSUFFICIENT_SHARDS when fewer than k holders have the shard', async () => {
    const { context, version, asked, caller } = fixture({
      'node-0': 'fail',
      'node-1': 'absent',
      'node-2': 'absent',
    });
    await assert.rejects(fetchValue(context, key, version, { caller, purpose: 'read' }), {
      code: 'DSV_INSUFFICIENT_SHARDS',
      details: { answered: 0, needed: 2 },
    });
    assert.equal(asked.length, 3);
  });

  void it('asks every holder on a scrub read, so a holder that is rarely needed still opens its shard', async () => {
    readPolicy.scrub = () => true;
    try {
      const { context, version, asked, caller } = fixture({});
      await fetchValue(context, key, version, { caller, purpose: 'read' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual([...asked].sort(), nodeIds);
    } finally {
      readPolicy.scrub = () => false;
    }
  });

  void it('spreads the reads over the holders other than this node', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { context, version, asked, caller } = fixture({});
      await fetchValue(context, key, version, { caller, purpose: 'read' });
      for (const node of asked) seen.add(node);
    }
    assert.deepEqual([...seen].sort(), nodeIds);
  });

  void it('never combines a share that does not open its commitment (I-C1, I-C2)', async () => {
    const { context, version, asked, caller } = fixture({});
    // node-0 is always asked first: make its shard the one that does not open its commitment.
    const mine = String(holdersFor(key, nodeIds, 3).indexOf('node-0'));
    const tampered = { ...version, commitments: { ...version.commitments, [mine]: '00'.repeat(32) } };
    const fetched = await fetchValue(context, key, tampered, { caller, purpose: 'read' });
    assert.deepEqual(Buffer.from(fetched.value), Buffer.from(value));
    assert.equal(asked.length, 3); // node-0's share was dropped and the third holder asked
  });
});
