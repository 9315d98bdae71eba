// A write's outcome, confirmed away from its coordinator (issue #9, VULN-7): a compromised coordinator could
// answer "committed, version 4" for a commit it never appended. After the coordinator answers a commit (or a
// duplicate at the order step), one *other* pinned node, picked at random, is asked for the write
// (`GET /v2/client-side/writes/{writeId}`, from its own view of the log) and must tell the same state and
// results. One extra round trip; the next node only when one does not answer.
import { DsvClientError, toClientError } from './client-error.ts';
import type { NodeRef, OpResult, WriteStatus } from './wire.ts';

/** What the coordinator answered: a commit's results, or a duplicate's (the write it repeats). */
export interface ClaimedOutcome {
  readonly state: 'committed' | 'duplicate';
  readonly results: readonly OpResult[];
}

const sameResults = (a: readonly OpResult[] | undefined, b: readonly OpResult[]): boolean =>
  a !== undefined &&
  a.length === b.length &&
  a.every(
    (result, index) =>
      result.version === b[index]?.version && (result.unchanged === true) === (b[index]?.unchanged === true),
  );

/**
 * Resolves when the first of `others` (in the order given: shuffle them) that answers agrees with `claimed`.
 * Rejects with DSV_INTEGRITY_FAILED when a node contradicts it (another state or results, or no such write of
 * this caller's), and with DSV_OUTCOME_UNKNOWN when none answers. No other node at all (a one-node cluster):
 * nothing to confirm against, the coordinator's answer stands.
 */
export async function confirmOutcome(
  others: readonly NodeRef[],
  claimed: ClaimedOutcome,
  ask: (node: NodeRef) => Promise<WriteStatus>,
): Promise<void> {
  if (others.length === 0) return;
  let failure: DsvClientError | undefined;
  for (const node of others) {
    let status: WriteStatus;
    try {
      status = await ask(node);
    } catch (error) {
      failure = toClientError(error);
      if (failure.code === 'DSV_SECRET_NOT_FOUND') throw contradicted(failure);
      continue; // unreachable, overloaded, not caught up: the next node
    }
    if (status.state !== claimed.state || !sameResults(status.results, claimed.results)) throw contradicted();
    return;
  }
  throw new DsvClientError(
    'DSV_OUTCOME_UNKNOWN',
    'The coordinator acknowledged the write, but no other node could confirm it: read the secret back, or retry with the same idempotency key',
    failure === undefined ? {} : { cause: failure },
  );
}

function contradicted(cause?: DsvClientError): DsvClientError {
  return new DsvClientError(
    'DSV_INTEGRITY_FAILED',
    'Another node contradicts the outcome the coordinator answered for this write (the coordinator may be compromised); read the secret back before relying on it',
    cause === undefined ? {} : { cause },
  );
}
