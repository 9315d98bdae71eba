// The client-side read without a cluster (shard-reader.ts): k holders asked, a hedge after the delay or for a
// failure, shares that do not open their commitment dropped, and the answer when the holders all refuse.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newBlinding, shareCommitment, splitSecret } from '../src/sharing/index.ts';
import { DsvClientError } from './client-error.ts';
import { holdersMissedShards, readResolved, shuffled, type FetchShare } from './shard-reader.ts';
import type { HolderShare, Resolved } from './wire.ts';

const identity = { tenant: 't', namespace: 'app', name: 'db', version: 3 };
const writeId = 'w-1';

/** A version of `value` shared 2-of-`n`, with the holders' answers and the resolve answer. */
function shared(value: Uint8Array, n = 3, withCommitments = true) {
  const shares = splitSecret(identity, value, n, 2);
  const answers: HolderShare[] = shares.map((share, index) => ({
    index,
    share: share.y,
    blinding: newBlinding(),
  }));
  const resolved: Resolved = {
    ...identity,
    writeId,
    partition: 0,
    minOffset: 1,
    validFrom: '2026-12-02T00:00:00.000Z',
    validTo: null,
    holders: answers.map((answer) => ({
      index: answer.index,
      nodeId: `node-${answer.index}`,
      url: `http://node-${answer.index}`,
      commitment: withCommitments
        ? shareCommitment(identity, writeId, answer.index, answer.blinding as Uint8Array, answer.share)
        : null,
    })),
  };
  return { answers, resolved };
}

/** Holders whose behaviour per index is scripted: a delay, a failure, or a tampered share. */
function holders(
  answers: readonly HolderShare[],
  script: Record<number, { delayMs?: number; fail?: DsvClientError; tamper?: boolean }> = {},
) {
  const asked: number[] = [];
  const fetchShare: FetchShare = async (holder, signal) => {
    asked.push(holder.index);
    const plan = script[holder.index] ?? {};
    if (plan.delayMs) await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
    if (signal.aborted) throw new DsvClientError('DSV_NODE_UNAVAILABLE');
    if (plan.fail) throw plan.fail;
    const answer = answers[holder.index] as HolderShare;
    const share = Uint8Array.from(answer.share);
    if (plan.tamper) share[0] = (share[0] ?? 0) ^ 0xff;
    return { index: answer.index, share, blinding: Uint8Array.from(answer.blinding ?? []) };
  };
  return { fetchShare, asked };
}

const inOrder = () => 0.999; // shuffled() keeps the order with this source

describe('client-side read', () => {
  it('asks k holders and combines their shares', async () => {
    const value = new Uint8Array(randomBytes(32));
    const { answers, resolved } = shared(value);
    const { fetchShare, asked } = holders(answers);
    assert.deepEqual(await readResolved(resolved, 2, fetchShare, 1000, inOrder), value);
    assert.deepEqual(asked, [0, 1]);
  });

  it('hedges one more holder when one is slower than the delay', async () => {
    const value = new Uint8Array(randomBytes(8));
    const { answers, resolved } = shared(value);
    const { fetchShare, asked } = holders(answers, { 1: { delayMs: 300 } });
    const started = Date.now();
    assert.deepEqual(await readResolved(resolved, 2, fetchShare, 10, inOrder), value);
    assert.deepEqual(asked, [0, 1, 2]);
    assert.ok(Date.now() - started < 250, 'the hedge answered before the slow holder');
  });

  it('drops a share that does not open its commitment and asks another holder', async () => {
    const value = new Uint8Array(randomBytes(16));
    const { answers, resolved } = shared(value);
    const { fetchShare, asked } = holders(answers, { 0: { tamper: true } });
    assert.deepEqual(await readResolved(resolved, 2, fetchShare, 1000, inOrder), value);
    assert.deepEqual(asked, [0, 1, 2]);
  });

  it('without commitments a bad share fails the tag; the remaining holders are asked and the read succeeds', async () => {
    const value = new Uint8Array(randomBytes(16));
    const { answers, resolved } = shared(value, 3, false);
    const { fetchShare } = holders(answers, { 0: { tamper: true } });
    assert.deepEqual(await readResolved(resolved, 2, fetchShare, 1000, inOrder), value);
  });

  it('a second gathering (after a failed tag) also waits for the fetches the first one left in flight', async () => {
    const value = new Uint8Array(randomBytes(16));
    const { answers, resolved } = shared(value, 4, false);
    // Holder 0 lies; holder 1 is slower than the hedge delay, so holder 2 is asked too and is still in flight
    // when the tag fails; holder 3 refuses.
    const { fetchShare, asked } = holders(answers, {
      0: { tamper: true },
      1: { delayMs: 20 },
      2: { delayMs: 80 },
      3: { fail: new DsvClientError('DSV_PEER_REJECTED', 'no', { status: 403 }) },
    });
    assert.deepEqual(await readResolved(resolved, 2, fetchShare, 5, inOrder), value);
    assert.deepEqual(asked, [0, 1, 2, 3]);
  });

  it('all holders refusing alike gives that refusal; 404 everywhere is worth a re-resolve; else too few shards', async () => {
    const { answers, resolved } = shared(new Uint8Array([1, 2, 3]));
    const refuse = new DsvClientError('DSV_PEER_REJECTED', 'no', { status: 403 });
    const all = holders(answers, { 0: { fail: refuse }, 1: { fail: refuse }, 2: { fail: refuse } });
    await assert.rejects(
      readResolved(resolved, 2, all.fetchShare, 1000, inOrder),
      (error: DsvClientError) => {
        assert.deepEqual(
          [error.status, error.code, holdersMissedShards(error)],
          [403, 'DSV_PEER_REJECTED', false],
        );
        return true;
      },
    );
    const missing = new DsvClientError('DSV_SECRET_NOT_FOUND', 'gone', { status: 404 });
    const gone = holders(answers, { 0: { fail: missing }, 1: { fail: missing }, 2: { fail: missing } });
    await assert.rejects(readResolved(resolved, 2, gone.fetchShare, 1000, inOrder), (error: DsvClientError) =>
      holdersMissedShards(error),
    );
    const mixed = holders(answers, { 0: { fail: refuse }, 1: { fail: missing } });
    await assert.rejects(
      readResolved(resolved, 2, mixed.fetchShare, 1000, inOrder),
      (error: DsvClientError) => {
        assert.deepEqual(
          [error.code, error.details?.received, holdersMissedShards(error)],
          ['DSV_INSUFFICIENT_SHARDS', 1, true],
        );
        return true;
      },
    );
  });

  it('shuffles holders (Fisher–Yates) so reads spread over the cluster', () => {
    assert.deepEqual(
      shuffled([1, 2, 3], () => 0.999),
      [1, 2, 3],
    );
    assert.deepEqual(
      shuffled([1, 2, 3], () => 0),
      [2, 3, 1],
    );
    assert.deepEqual([...shuffled([1, 2, 3, 4, 5])].sort(), [1, 2, 3, 4, 5]);
  });
});
