// What every coordinator protocol needs: cluster parameters, the log, this node's view, and the holders.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ControlStore } from '../../control/index.ts';
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { CommitLog } from '../../log/index.ts';
import type { LogCodec, LogEntry, SecretKey } from '../../secrets/index.ts';
import type { TrustMaterial } from '../../trust/index.ts';
import type { ShardStore } from '../../shards/index.ts';
import type { ViewStore, WriteRecord } from '../../view/index.ts';
import type { LogApplier } from '../applier.ts';
import type { Membership } from '../membership.ts';
import { holdersFor, partitionForTenant } from '../placement.ts';
import type { RefreshContext } from '../refresh-types.ts';
import type { ShardHolder } from '../shard-holder.ts';
import type { TenantKeyAccess } from './tenant-keys.ts';

/** DESIGN §4: n shards, threshold k, write quorum W (k ≤ W ≤ n), repair buffer r. */
export interface ClusterParams {
  readonly nodeIds: readonly string[];
  readonly n: number;
  readonly k: number;
  readonly w: number;
  readonly r: number;
}

export interface CoordinatorTimeouts {
  /** Waiting for this node (or a holder) to apply a record. */
  readonly applyMs: number;
  /** One peer request (stage, read). */
  readonly peerMs: number;
  /** A pending write older than this in log time is aborted (DESIGN §5). */
  readonly pendingWriteMs: number;
}

export interface CoordinatorContext {
  readonly nodeId: string;
  readonly params: ClusterParams;
  readonly timeouts: CoordinatorTimeouts;
  readonly log: CommitLog;
  readonly applier: LogApplier;
  readonly view: ViewStore;
  readonly shards: ShardStore;
  /** Every node of the cluster as a holder, this node included. */
  readonly holders: ReadonlyMap<string, ShardHolder>;
  readonly membership: Membership;
  readonly logger: Logger;
  /** The control view (tenants, tokens, policies), when the node runs the control plane. */
  readonly control?: ControlStore;
  /** Seals and signs this node's records (I-L5, I-L7). */
  readonly codec: LogCodec;
  /** This node's keys and the cluster manifest (endorsements, receipts, recovery masks). */
  readonly trust: TrustMaterial;
  /** Proactive share refresh (I-R1): the participants and the settings; absent where no node wires it. */
  readonly refresh?: RefreshContext;
  /** Tenant-held keys (I-K6, I-K7): this node's access to tenants' own KMS keys; absent without a keyring. */
  readonly tenantKeys?: TenantKeyAccess;
}

export const newWriteId = (): string => randomUUID();

export function partitionOf(context: CoordinatorContext, tenant: string): number {
  return partitionForTenant(tenant, context.log.partitionCount);
}

export function holdersOf(context: CoordinatorContext, key: SecretKey): ShardHolder[] {
  return holdersFor(key, context.params.nodeIds, context.params.n).map((nodeId) => {
    const holder = context.holders.get(nodeId);
    if (!holder) throw new DsvError('DSV_INTERNAL', 'Placement named an unknown node');
    return holder;
  });
}

export function isUp(context: CoordinatorContext, nodeId: string): boolean {
  return nodeId === context.nodeId || context.membership.isUp(nodeId);
}

/** Appends and waits until this node applied the record; returns its offset. */
export async function appendAndApply(
  context: CoordinatorContext,
  partition: number,
  entry: LogEntry,
): Promise<number> {
  let offset: number;
  // The routing key stays empty: DSV picks the partition itself, and names are not for the log writer (I-L7).
  try {
    ({ offset } = await context.log.append(partition, '', context.codec.encode(partition, entry)));
  } catch (error) {
    if (isDsvError(error)) throw error;
    throw new DsvError('DSV_LOG_UNAVAILABLE', undefined, { cause: error });
  }
  try {
    await context.applier.waitApplied(partition, offset, context.timeouts.applyMs);
  } catch (error) {
    // Appended, not yet applied here: the record stands in the log, so "nothing was published" would be a lie.
    if (isDsvError(error) && error.code === 'DSV_LOG_UNAVAILABLE')
      throw new DsvError('DSV_OUTCOME_UNKNOWN', undefined, { cause: error });
    throw error;
  }
  return offset;
}

/**
 * Waits (bounded) until every reachable node applied the record at `offset`; returns those that confirmed.
 * A node that is down applies it when it replays the log.
 */
export async function awaitEverywhere(
  context: CoordinatorContext,
  partition: number,
  offset: number,
): Promise<string[]> {
  const confirmed: string[] = [];
  await Promise.all(
    [...context.holders.values()].map(async (holder) => {
      try {
        await holder.awaitApplied(partition, offset, context.timeouts.applyMs);
        confirmed.push(holder.nodeId);
      } catch {
        // unreachable now
      }
    }),
  );
  return confirmed.sort();
}

export function writeRecord(context: CoordinatorContext, writeId: string): WriteRecord {
  const record = context.view.write(writeId);
  // An applied record missing from the view means the log is not the one this node applied (recreated or
  // truncated under it): refuse like the log pin does (I-L8), never a 500.
  if (!record) throw new DsvError('DSV_LOG_IDENTITY_CHANGED', 'The commit log changed under this node');
  return record;
}

/** Best effort: a failed abort leaves the write pending until the log-time timeout aborts it anyway. */
export async function appendAbort(
  context: CoordinatorContext,
  partition: number,
  tenant: string,
  writeId: string,
  reason: 'quorum' | 'read-failed' | 'coordinator',
): Promise<void> {
  try {
    await appendAndApply(context, partition, { type: 'abort', writeId, tenant, time: Date.now(), reason });
  } catch (error) {
    context.logger.warn(
      { err: error, writeId },
      'abort could not be appended; the pending-write timeout will',
    );
  }
}
