// Endorsement fan-out (issue #10): q − 1 peers are asked, not all; a refusal, a failure or a slow peer brings
// in the next one, and the answer is the same as when every peer was asked at once.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pino from 'pino';
import { DsvError } from '../../errors/index.ts';
import type { LogEntry } from '../../secrets/index.ts';
import type { ShardHolder } from '../shard-holder.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { gatherEndorsements } from './endorsements.ts';
import { HEDGE_AFTER_MS } from './shard-fetch.ts';

type Behaviour = 'ok' | 'forbidden' | 'down' | { delayMs: number };

function fixture(nodes: readonly string[], behaviours: Record<string, Behaviour>) {
  const asked: string[] = [];
  const holder = (nodeId: string): ShardHolder => ({
    nodeId,
    endorse: async () => {
      asked.push(nodeId);
      const behaviour = behaviours[nodeId] ?? 'ok';
      if (behaviour === 'forbidden') throw new DsvError('DSV_PEER_REJECTED');
      if (behaviour === 'down') throw new DsvError('DSV_NODE_UNAVAILABLE');
      if (typeof behaviour === 'object')
        await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      return `sig-${nodeId}`;
    },
    read: async () => undefined,
    stage: async () => [],
    contribute: async () => new Uint8Array(),
    awaitApplied: async () => undefined,
  });
  const context = {
    nodeId: 'node-0',
    params: { nodeIds: nodes, n: nodes.length, k: 3, w: 3, r: 0 },
    holders: new Map(nodes.map((nodeId) => [nodeId, holder(nodeId)])),
    membership: { isUp: () => true, markSeen: () => undefined },
    logger: pino({ level: 'silent' }),
  } as unknown as CoordinatorContext;
  const caller = { credentialFor: () => ({ kind: 'anonymous' }) } as never;
  const entry = { type: 'tick', time: 1 } as LogEntry;
  return { context, caller, entry, asked };
}

const five = ['node-0', 'node-1', 'node-2', 'node-3', 'node-4'];

void describe('gatherEndorsements', () => {
  void it('asks exactly k − 1 peers when they answer', async () => {
    const { context, caller, entry, asked } = fixture(five, {});
    const endorsements = await gatherEndorsements(context, 0, entry, caller);
    assert.equal(endorsements.length, 2);
    assert.equal(asked.length, 2);
    assert.ok(!asked.includes('node-0'));
  });

  void it('replaces a peer that refuses or is down, at once', async () => {
    const { context, caller, entry, asked } = fixture(five, { 'node-1': 'down', 'node-2': 'forbidden' });
    const endorsements = await gatherEndorsements(context, 0, entry, caller);
    assert.deepEqual(endorsements.map((e) => e.node).sort(), ['node-3', 'node-4']);
    assert.ok(asked.length <= 4 && asked.includes('node-3') && asked.includes('node-4'));
  });

  void it('hedges a slow peer with the next one', async () => {
    const slow = { delayMs: HEDGE_AFTER_MS * 40 };
    const { context, caller, entry, asked } = fixture(five, { 'node-1': slow, 'node-2': slow });
    const started = performance.now();
    const endorsements = await gatherEndorsements(context, 0, entry, caller);
    assert.equal(endorsements.length, 2);
    assert.ok(asked.length >= 2);
    assert.ok(performance.now() - started < slow.delayMs, 'the fast peers answered before the slow ones');
    assert.ok(endorsements.every((e) => e.node === 'node-3' || e.node === 'node-4'));
  });

  void it('answers 403 when too few may endorse because the client is refused', async () => {
    const { context, caller, entry } = fixture(['node-0', 'node-1', 'node-2'], {
      'node-1': 'forbidden',
      'node-2': 'forbidden',
    });
    await assert.rejects(gatherEndorsements(context, 0, entry, caller), { code: 'DSV_AUTH_FORBIDDEN' });
  });

  void it('answers 503 with the counts when too few peers are reachable', async () => {
    const { context, caller, entry } = fixture(['node-0', 'node-1', 'node-2'], { 'node-1': 'down' });
    await assert.rejects(gatherEndorsements(context, 0, entry, caller), {
      code: 'DSV_WRITE_QUORUM_FAILED',
      details: { answered: 2, needed: 3 },
    });
  });
});
