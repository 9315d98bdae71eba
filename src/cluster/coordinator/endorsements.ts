// Gathers the endorsements a record needs (trust-boundaries design §4, I-T3): q − 1 other members, each of
// which checks the client's credential for itself; this node's own signature on the record is the q-th.
import { randomUUID } from 'node:crypto';
import type { Endorsement } from '../../control/control-entry.ts';
import type { Caller } from '../../control/token-authenticator.ts';
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { LogEntry } from '../../secrets/index.ts';
import type { CoordinatorContext } from './coordinator-context.ts';

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
  // Every peer is asked in parallel (membership may not have seen a restarted one yet); the first q − 1
  // answers win, so one slow or down peer costs nothing.
  const peers = [...context.holders.values()].filter((holder) => holder.nodeId !== context.nodeId);
  const requestId = randomUUID();
  const endorsements: Endorsement[] = [];
  let forbidden = false;
  let logDown = false;
  await new Promise<void>((resolve) => {
    let outstanding = peers.length;
    if (outstanding === 0) resolve();
    for (const peer of peers) {
      peer
        .endorse({
          partition,
          entry,
          credential: caller.credentialFor?.(peer.nodeId) ?? { kind: 'anonymous' },
          requestId,
        })
        .then((sig) => {
          endorsements.push({ node: peer.nodeId, sig });
          if (endorsements.length >= needed) resolve();
        })
        .catch((error: unknown) => {
          if (isDsvError(error) && error.status === 403) forbidden = true;
          if (isDsvError(error) && error.code === 'DSV_LOG_UNAVAILABLE') logDown = true;
        })
        .finally(() => {
          outstanding -= 1;
          if (outstanding === 0) resolve();
        });
    }
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
