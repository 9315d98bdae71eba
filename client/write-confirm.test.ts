// A write's outcome confirmed at one other node (VULN-7): the same state and results, else the write fails —
// DSV_INTEGRITY_FAILED when a node contradicts the coordinator, DSV_OUTCOME_UNKNOWN when no other node answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvClientError } from './client-error.ts';
import { confirmOutcome, type ClaimedOutcome } from './write-confirm.ts';
import type { NodeRef, WriteStatus } from './wire.ts';

const others: NodeRef[] = [
  { nodeId: 'node-1', url: 'https://vault-1' },
  { nodeId: 'node-2', url: 'https://vault-2' },
];
const committed: ClaimedOutcome = {
  state: 'committed',
  results: [{ version: 4 }, { version: 2, unchanged: true }],
};

/** Runs the confirmation with each node's scripted answer; the nodes asked, and the error code if any. */
async function confirmWith(
  answers: Record<string, WriteStatus | DsvClientError>,
  claimed = committed,
): Promise<{ asked: string[]; code?: string }> {
  const asked: string[] = [];
  try {
    await confirmOutcome(others, claimed, async (node) => {
      asked.push(node.nodeId);
      const answer = answers[node.nodeId];
      if (answer === undefined || answer instanceof DsvClientError)
        throw answer ?? new DsvClientError('DSV_NODE_UNAVAILABLE');
      return answer;
    });
    return { asked };
  } catch (error) {
    assert.ok(error instanceof DsvClientError);
    return { asked, code: error.code };
  }
}

describe('commit confirmation at another node', () => {
  it('one other node telling the same state and results confirms it: one round trip', async () => {
    assert.deepEqual(await confirmWith({ 'node-1': { state: 'committed', results: committed.results } }), {
      asked: ['node-1'],
    });
    const duplicate: ClaimedOutcome = { state: 'duplicate', results: [{ version: 3 }] };
    assert.deepEqual(
      await confirmWith({ 'node-1': { state: 'duplicate', results: [{ version: 3 }] } }, duplicate),
      { asked: ['node-1'] },
    );
  });

  it('another state, other results, or no such write there: DSV_INTEGRITY_FAILED, no further node asked', async () => {
    for (const answer of [
      { state: 'pending' },
      { state: 'aborted' },
      { state: 'rejected' },
      { state: 'committed', results: [{ version: 4 }, { version: 2 }] },
      { state: 'committed', results: [{ version: 4 }] },
      { state: 'committed' },
      { state: 'duplicate', results: committed.results },
      new DsvClientError('DSV_SECRET_NOT_FOUND', 'No such client-side write', { status: 404 }),
    ] as const)
      assert.deepEqual(await confirmWith({ 'node-1': answer }), {
        asked: ['node-1'],
        code: 'DSV_INTEGRITY_FAILED',
      });
    // A duplicate whose earlier write is not committed in that node's view carries no results: no match.
    assert.equal(
      (
        await confirmWith(
          { 'node-1': { state: 'duplicate' } },
          { state: 'duplicate', results: [{ version: 3 }] },
        )
      ).code,
      'DSV_INTEGRITY_FAILED',
    );
  });

  it('an unreachable or failing node: the next one; none answers: DSV_OUTCOME_UNKNOWN', async () => {
    assert.deepEqual(
      await confirmWith({
        'node-1': new DsvClientError('DSV_LOG_UNAVAILABLE', 'down', { status: 503 }),
        'node-2': { state: 'committed', results: committed.results },
      }),
      { asked: ['node-1', 'node-2'] },
    );
    assert.deepEqual(await confirmWith({}), { asked: ['node-1', 'node-2'], code: 'DSV_OUTCOME_UNKNOWN' });
  });

  it('a one-node cluster has no other node to ask: the coordinator’s answer stands', async () => {
    await confirmOutcome([], committed, () => assert.fail('no node to ask'));
  });
});
