import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvError } from '../../errors/index.ts';
import type { IntentEntry } from '../../secrets/index.ts';
import { PreparedIntents, preparedBytes, type PreparedBudget } from './prepared-intents.ts';

const intent = (tenant: string, stager: string, names: number, nameLength = 10): IntentEntry => ({
  type: 'intent',
  writeId: `w-${Math.random()}`,
  tenant,
  time: 0,
  coordinator: 'node-0',
  stager,
  ops: Array.from({ length: names }, (_, i) => ({
    op: 'create' as const,
    namespace: 'ns',
    name: `${i}`.padEnd(nameLength, 'x'),
  })),
  endorsements: [],
});

const refusedAsRate = (error: unknown) =>
  error instanceof DsvError && error.code === 'DSV_QUOTA_RATE' && error.status === 429;

describe('prepared client-side intents', () => {
  const budget: PreparedBudget = { maxCount: 8, maxBytes: 64_000, tenantShare: 1 / 2, accessorShare: 1 / 4 };

  it('one token holds at most its share: by count, then by bytes; others still prepare', () => {
    const store = new PreparedIntents(budget);
    store.add('a1', { intent: intent('acme', 'tok-a', 1), partition: 0, expires: 100 }, 0);
    store.add('a2', { intent: intent('acme', 'tok-a', 1), partition: 0, expires: 100 }, 0);
    assert.throws(
      () => store.add('a3', { intent: intent('acme', 'tok-a', 1), partition: 0, expires: 100 }, 0),
      refusedAsRate,
    );
    const big = intent('acme', 'tok-b', 60, 100); // about 32 KB: over a quarter of 64 KB
    assert.ok(preparedBytes(big) > budget.maxBytes / 4);
    assert.throws(() => store.add('b1', { intent: big, partition: 0, expires: 100 }, 0), refusedAsRate);
    store.add('b2', { intent: intent('acme', 'tok-b', 1), partition: 0, expires: 100 }, 0);
    assert.equal(store.size, 3);
  });

  it("one tenant holds at most half: another tenant's writes still find room", () => {
    const store = new PreparedIntents(budget);
    for (const [i, token] of ['t1', 't1', 't2', 't2'].entries())
      store.add(`acme-${i}`, { intent: intent('acme', token, 1), partition: 0, expires: 100 }, 0);
    assert.throws(
      () => store.add('acme-4', { intent: intent('acme', 't3', 1), partition: 0, expires: 100 }, 0),
      refusedAsRate,
    );
    store.add('globex-0', { intent: intent('globex', 'g1', 1), partition: 0, expires: 100 }, 0);
    assert.equal(store.size, 5);
  });

  it('ordered or expired intents give their room back; the byte count returns to zero', () => {
    const store = new PreparedIntents(budget);
    store.add('x', { intent: intent('acme', 'tok', 3), partition: 1, expires: 10 }, 0);
    store.add('y', { intent: intent('acme', 'tok', 3), partition: 1, expires: 20 }, 5);
    assert.equal(store.get('x')?.partition, 1);
    store.delete('x');
    store.delete('x');
    assert.equal(store.get('x'), undefined);
    store.prune(21);
    assert.deepEqual([store.size, store.bytes], [0, 0]);
    store.add('z', { intent: intent('acme', 'tok', 1), partition: 0, expires: 40 }, 30);
    store.add('w', { intent: intent('acme', 'tok', 1), partition: 0, expires: 40 }, 30);
    // The next add prunes first: both expired, so a third fits the token's share of two.
    store.add('v', { intent: intent('acme', 'tok', 1), partition: 0, expires: 60 }, 50);
    assert.equal(store.size, 1);
  });

  it('the estimate grows with every name a caller chooses the length of', () => {
    assert.ok(preparedBytes(intent('acme', 't', 10, 1000)) > 10 * 2 * 1000);
    assert.ok(preparedBytes(intent('acme', 't', 2)) < preparedBytes(intent('acme', 't', 3)));
  });
});
