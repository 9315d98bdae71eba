// Proactive share refresh, the refresher's side (design 2026-12-02 client-side mode §5; I-R1, I-R2): this
// node starts a refresh of one version through the log, relays each participant's sealed dealings and
// zero-check values, and commits with every participant's receipt — or aborts, and the current generation
// stays. The refresher never holds anything but relayed ciphertexts and its own share (I-S6 still holds).
import { randomUUID } from 'node:crypto';
import { DsvError, isDsvError } from '../../errors/index.ts';
import { faultPoint } from '../../platform/fault-points.ts';
import type { RefreshAbortReason, RefreshStartEntry, SecretKey } from '../../secrets/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import { holdersFor } from '../placement.ts';
import type { RefreshAddress, RefreshContext, RefreshPeer } from '../refresh-types.ts';
import { appendAndApply, partitionOf, type CoordinatorContext } from './coordinator-context.ts';

export type RefreshOutcome =
  | { readonly state: 'committed'; readonly generation: number }
  | { readonly state: 'aborted'; readonly reason: string }
  | { readonly state: 'skipped'; readonly reason: string };

const skipped = (reason: string): RefreshOutcome => ({ state: 'skipped', reason });

export function refreshContextOf(context: CoordinatorContext): RefreshContext {
  if (!context.refresh) throw new DsvError('DSV_INTERNAL', 'Share refresh is not wired on this node');
  return context.refresh;
}

/** The shard indexes that hold a commitment now: every one of them takes part (I-R1). */
export const participantsOf = (info: VersionInfo): number[] =>
  Object.keys(info.commitments ?? {})
    .map(Number)
    .sort((a, b) => a - b);

/** Refreshes one version once: a new generation on every participant, or nothing at all. */
export async function refreshVersion(
  context: CoordinatorContext,
  key: SecretKey,
  version: number,
): Promise<RefreshOutcome> {
  const { peers } = refreshContextOf(context);
  const info = context.view.version(key, version);
  if (!info) return skipped('gone');
  const participants = participantsOf(info);
  if (participants.length < Math.max(2, context.params.k)) return skipped('too-few-shards');
  if (context.view.refreshes.pendingFor(key, version)) return skipped('in-progress');
  const placement = holdersFor(key, context.params.nodeIds, context.params.n);
  const members = participants.map((index) => peers.get(placement[index] ?? ''));
  if (members.some((peer) => peer === undefined)) return skipped('unknown-holder');
  const partition = partitionOf(context, key.tenant);
  const session = randomUUID();
  const start: RefreshStartEntry = {
    type: 'refresh-start',
    tenant: key.tenant,
    time: Date.now(),
    namespace: key.namespace,
    name: key.name,
    version,
    writeId: info.writeId,
    generation: info.generation + 1,
    session,
    participants,
  };
  const offset = await appendAndApply(context, partition, start);
  const opened = context.view.refreshes.get(partition, session);
  if (opened?.state !== 'pending' || opened.startOffset !== offset)
    return skipped(startRefusal(context, key, info));
  const address: RefreshAddress = {
    key,
    partition,
    minOffset: offset + 1,
    version,
    writeId: info.writeId,
    generation: start.generation,
    session,
    participants,
  };
  let reason: RefreshAbortReason | undefined;
  try {
    const receipts = await exchange(address, members as RefreshPeer[]);
    faultPoint('refresh-before-commit');
    await appendAndApply(context, partition, {
      type: 'refresh-commit',
      tenant: key.tenant,
      time: Date.now(),
      session,
      receipts,
    });
  } catch (error) {
    reason = abortReasonOf(error);
    context.logger.info({ err: error, reason }, 'a share refresh was aborted; the current generation stays');
    // Unappended, the log-time timeout aborts it anyway; after a commit whose outcome was unknown, a no-op.
    await appendAndApply(context, partition, {
      type: 'refresh-abort',
      tenant: key.tenant,
      time: Date.now(),
      session,
      reason,
    }).catch(() => undefined);
  }
  const after = context.view.refreshes.get(partition, session);
  return after?.state === 'committed'
    ? { state: 'committed', generation: after.generation }
    : { state: 'aborted', reason: reason ?? after?.reason ?? 'refused' };
}

/**
 * deal → apply → confirm, each step on every participant at once. Each dealing goes only to its recipient,
 * each zero-check value only to the other members of its subset; a failure anywhere throws.
 */
async function exchange(address: RefreshAddress, members: readonly RefreshPeer[]) {
  const { participants } = address;
  const dealt = (await Promise.all(members.map((peer) => peer.refreshDeal(address)))).flat();
  const applied = await Promise.all(
    members.map((peer, i) =>
      peer.refreshApply({
        ...address,
        dealings: dealt.filter((dealing) => dealing.recipient === participants[i]),
      }),
    ),
  );
  const checks = applied.flatMap((answer) => answer.checks);
  return Promise.all(
    members.map((peer, i) => {
      const index = participants[i] ?? -1;
      const theirs = checks.filter((check) => check.from !== index && check.subset.includes(index));
      return peer.refreshConfirm({ ...address, checks: theirs });
    }),
  );
}

function abortReasonOf(error: unknown): RefreshAbortReason {
  if (!isDsvError(error)) return 'unavailable';
  if (error.code === 'DSV_INTEGRITY_FAILED') return 'zero-check';
  if (error.code === 'DSV_PEER_REJECTED' || error.code === 'DSV_WRITE_CONFLICT') return 'refused';
  return 'unavailable';
}

/** Why the state machine refused this node's start (it counts the exact reason; this is for the caller). */
function startRefusal(context: CoordinatorContext, key: SecretKey, info: VersionInfo): string {
  const current = context.view.version(key, info.version);
  if (current?.writeId !== info.writeId || current.generation !== info.generation) return 'moved';
  if (context.view.refreshes.pendingFor(key, info.version)) return 'in-progress';
  const last = context.view.refreshes.refreshedAt(key, info.version);
  const logTime = context.view.applied(partitionOf(context, key.tenant)).logTime;
  const { minIntervalMs } = refreshContextOf(context).settings.limits;
  if (last !== null && logTime - last < minIntervalMs) return 'too-soon';
  return 'rate-limited';
}
