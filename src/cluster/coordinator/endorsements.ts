// Gathers the endorsements a record needs (trust-boundaries design §4, I-T3): q − 1 other members, each of
// which checks the client's credential for itself; this node's own signature on the record is the q-th.
import { randomUUID } from 'node:crypto';
import type { Caller, Endorsement } from '../../control/index.ts';
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { LogEntry } from '../../secrets/index.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { HEDGE_AFTER_MS } from './shard-fetch.ts';

/** Endorsements a record of this cluster needs besides its signer's: k − 1 (no single node suffices). */
export const endorsementsNeeded = (context: CoordinatorContext): number => Math.max(1, context.params.k) - 1;

export async function gatherEndorsements(
  context: CoordinatorContext,
  partition: number,
  entry: LogEntry,
  caller: Caller,
): Promise<Endorsement[]> {
  const needed = endorsementsNeeded(context);
  if (needed === 0) return [];
  if (!caller.credentialFor) throw new DsvError('DSV_AUTH_FORBIDDEN', 'This caller cannot be vouched for');
  // q − 1 peers are asked (those membership sees up first, in random order), not all: each endorsement costs
  // its node an authentication, a durable audit record and a signature (issue #10). A peer that refuses or
  // fails, or is slower than HEDGE_AFTER_MS, brings in the next one, so a down or restarted peer that
  // membership has not noticed yet costs one hedge delay, not the request.
  const peers = [...context.holders.values()]
    .filter((holder) => holder.nodeId !== context.nodeId)
    .map((holder) => ({ holder, rank: (context.membership.isUp(holder.nodeId) ? 0 : 2) + Math.random() }))
    .sort((a, b) => a.rank - b.rank)
    .map(({ holder }) => holder);
  const requestId = randomUUID();
  const endorsements: Endorsement[] = [];
  let forbidden = false;
  let logDown = false;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    let done = false;
    let hedge: NodeJS.Timeout | undefined;
    const finish = () => {
      done = true;
      clearTimeout(hedge);
      resolve();
    };
    const armHedge = () => {
      clearTimeout(hedge);
      if (peers.length > 0) hedge = setTimeout(() => (askNext(), armHedge()), HEDGE_AFTER_MS);
    };
    const askNext = () => {
      const peer = peers.shift();
      if (!peer || done) return;
      inFlight += 1;
      peer
        .endorse({
          partition,
          entry,
          credential: caller.credentialFor?.(peer.nodeId) ?? { kind: 'anonymous' },
          requestId,
        })
        .then((sig) => {
          if (!done) endorsements.push({ node: peer.nodeId, sig });
          if (peer.nodeId !== context.nodeId) context.membership.markSeen(peer.nodeId);
        })
        .catch((error: unknown) => {
          if (isDsvError(error) && error.status === 403) forbidden = true;
          if (isDsvError(error) && error.code === 'DSV_LOG_UNAVAILABLE') logDown = true;
        })
        .finally(() => {
          inFlight -= 1;
          if (done) return;
          if (endorsements.length >= needed) return finish();
          if (endorsements.length + inFlight < needed) askNext();
          if (inFlight === 0) finish();
        });
    };
    for (let asked = 0; asked < needed; asked++) askNext();
    if (inFlight === 0) finish();
    else armHedge();
  });
  // A snapshot: answers that arrive later must not change a record already being appended.
  if (endorsements.length >= needed) return endorsements.slice();
  if (forbidden) throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
  // Nothing was published: the same answer as an append the log refused (DESIGN §6.2).
  if (logDown) throw new DsvError('DSV_LOG_UNAVAILABLE');
  throw new DsvError('DSV_WRITE_QUORUM_FAILED', 'Not enough nodes could vouch for the request', {
    details: { answered: endorsements.length + 1, needed: needed + 1 }, // + this node's own signature
  });
}
