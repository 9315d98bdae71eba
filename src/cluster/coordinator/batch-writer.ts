// Write protocol (DESIGN §6): intent → the state machine's verdict → split and stage with quorum W →
// commit, or abort. One batch is all-or-nothing, which is what makes .env transforms atomic (§10).
import { timingSafeEqual } from 'node:crypto';
import { DsvError } from '../../errors/index.ts';
import type { IntentOp, SecretKey } from '../../secrets/index.ts';
import { splitSecret } from '../../sharing/index.ts';
import type { PlannedOp, WriteRecord } from '../../view/index.ts';
import type { StageShard } from '../shard-holder.ts';
import type { BatchOp, BatchOpResult, BatchOptions } from './batch-types.ts';
import {
  appendAbort,
  appendAndApply,
  holdersOf,
  isUp,
  newWriteId,
  partitionOf,
  writeRecord,
  type CoordinatorContext,
} from './coordinator-context.ts';
import { fetchVersionValue } from './shard-fetch.ts';
import { readSnapshot } from './reader.ts';
import { awaitDeleteQuorum } from './delete-quorum.ts';
import { faultPoint } from '../../platform/fault-points.ts';

export async function executeBatch(
  context: CoordinatorContext,
  tenant: string,
  ops: readonly BatchOp[],
  options: BatchOptions = {},
): Promise<BatchOpResult[]> {
  if (!ops.some((op) => op.op !== 'read')) return readSnapshot(context, tenant, ops);
  checkValueQuota(context, tenant, ops);
  checkQuorumReachable(context, tenant, ops);
  if (ops.some((op) => op.op === 'delete')) await probeDeleteHolders(context, tenant, ops);
  const partition = partitionOf(context, tenant);
  const writeId = newWriteId();
  const intentOps: IntentOp[] = ops.map((op) =>
    op.op === 'read'
      ? {
          op: 'read',
          namespace: op.namespace,
          name: op.name,
          ...(op.version === undefined ? {} : { version: op.version }),
        }
      : {
          op: op.op,
          namespace: op.namespace,
          name: op.name,
          ...(op.expectedVersion === undefined ? {} : { expectedVersion: op.expectedVersion }),
        },
  );
  const intentOffset = await appendAndApply(context, partition, {
    type: 'intent',
    writeId,
    tenant,
    time: Date.now(),
    coordinator: context.nodeId,
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    ops: intentOps,
  });
  const verdict = writeRecord(context, writeId);
  if (verdict.state === 'duplicate' && verdict.outcome.duplicateOf) {
    return awaitEarlierWrite(context, verdict.outcome.duplicateOf);
  }
  throwIfRejected(verdict);

  const key = (op: { namespace: string; name: string }): SecretKey => ({ tenant, ...op });
  let unchanged: number[];
  const results: BatchOpResult[] = verdict.plan.map((planned) => ({ version: planned.version }));
  try {
    // Reads and the unchanged-value check happen before anything is staged: a failure leaves nothing written.
    for (const [index, planned] of verdict.plan.entries()) {
      if (planned.op !== 'read' || !planned.writeId) continue;
      const info = {
        version: planned.version,
        writeId: planned.writeId,
        validFrom: 0,
        validTo: null,
        holders: [],
      };
      results[index] = {
        version: planned.version,
        value: (await fetchVersionValue(context, key(planned), info)).value,
      };
    }
    unchanged = await findUnchanged(context, tenant, ops, verdict.plan);
  } catch (error) {
    await appendAbort(context, partition, tenant, writeId, 'read-failed');
    throw error;
  }

  const holders = await stageAll(
    context,
    tenant,
    partition,
    intentOffset,
    writeId,
    ops,
    verdict.plan,
    unchanged,
  );
  if (!holders) {
    await appendAbort(context, partition, tenant, writeId, 'quorum');
    throw new DsvError('DSV_WRITE_QUORUM_FAILED');
  }
  faultPoint('after-stage'); // test-only crash hook, inert unless DSV_FAULT_POINTS names it
  const commitOffset = await appendAndApply(context, partition, {
    type: 'commit',
    writeId,
    tenant,
    time: Date.now(),
    holders,
    ...(unchanged.length > 0 ? { unchanged } : {}),
  });
  const final = writeRecord(context, writeId);
  if (final.state !== 'committed') {
    throw new DsvError('DSV_WRITE_QUORUM_FAILED', 'The write timed out before it could commit');
  }
  const deletes = verdict.plan.filter((planned) => planned.op === 'delete').map(key);
  if (deletes.length > 0) await awaitDeleteQuorum(context, partition, commitOffset, deletes);
  // An unchanged update answers with the latest version, which it left in place (DESIGN §5).
  for (const index of unchanged) {
    results[index] = { version: (verdict.plan[index]?.version ?? 1) - 1, unchanged: true };
  }
  return results;
}

/** The tenant's value-size quota (DESIGN §9): refused before anything is published. */
function checkValueQuota(context: CoordinatorContext, tenant: string, ops: readonly BatchOp[]): void {
  const { maxValueBytes } = context.view.quota(tenant);
  if (maxValueBytes === null) return;
  for (const [opIndex, op] of ops.entries()) {
    if ((op.op === 'create' || op.op === 'update') && op.value.length > maxValueBytes) {
      throw new DsvError(
        'DSV_VALUE_TOO_LARGE',
        `Secret value too large (tenant quota: max ${maxValueBytes} bytes)`,
        {
          details: { opIndex },
        },
      );
    }
  }
}

/** Fail fast, before publishing anything, when too few holders are up to ever reach the quorum. */
function checkQuorumReachable(context: CoordinatorContext, tenant: string, ops: readonly BatchOp[]): void {
  const { n, k, w } = context.params;
  for (const op of ops) {
    if (op.op === 'read') continue;
    const up = holdersOf(context, { tenant, ...op }).filter((holder) => isUp(context, holder.nodeId)).length;
    if (op.op === 'delete' && up < n - k + 1) throw new DsvError('DSV_DELETE_QUORUM_FAILED');
    if (op.op !== 'delete' && up < w) throw new DsvError('DSV_WRITE_QUORUM_FAILED');
  }
}

/**
 * A published delete will happen, whatever the answer says; so before publishing one, ask its holders now
 * (membership may not have noticed a node die yet) and refuse with nothing done when fewer than n − k + 1
 * answer. A 503 for a delete then means "not deleted" in all but a sub-second window.
 */
async function probeDeleteHolders(
  context: CoordinatorContext,
  tenant: string,
  ops: readonly BatchOp[],
): Promise<void> {
  const { n, k } = context.params;
  const partition = partitionOf(context, tenant);
  for (const op of ops) {
    if (op.op !== 'delete') continue;
    const answers = await Promise.all(
      holdersOf(context, { tenant, ...op }).map((holder) =>
        holder.awaitApplied(partition, -1, 0).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (answers.filter(Boolean).length < n - k + 1) throw new DsvError('DSV_DELETE_QUORUM_FAILED');
  }
}

function throwIfRejected(verdict: WriteRecord): void {
  if (verdict.state !== 'rejected') return;
  const rejection = verdict.outcome.rejection;
  throw new DsvError(rejection?.code ?? 'DSV_WRITE_CONFLICT', undefined, {
    details: { opIndex: rejection?.opIndex ?? 0 },
  });
}

/** Updates whose new value equals the latest version make no new version (DESIGN §5). */
async function findUnchanged(
  context: CoordinatorContext,
  tenant: string,
  ops: readonly BatchOp[],
  plan: readonly PlannedOp[],
): Promise<number[]> {
  const unchanged: number[] = [];
  for (const [index, op] of ops.entries()) {
    if (op.op !== 'update') continue;
    const key = { tenant, namespace: op.namespace, name: op.name };
    const latest = context.view.version(key, (plan[index]?.version ?? 1) - 1);
    if (!latest) continue;
    const { value } = await fetchVersionValue(context, key, latest);
    if (value.length === op.value.length && timingSafeEqual(value, op.value)) unchanged.push(index);
  }
  return unchanged;
}

/** Splits every written value and stages shard i on holder i; returns the acknowledging nodes or undefined. */
async function stageAll(
  context: CoordinatorContext,
  tenant: string,
  partition: number,
  intentOffset: number,
  writeId: string,
  ops: readonly BatchOp[],
  plan: readonly PlannedOp[],
  unchanged: readonly number[],
): Promise<string[] | undefined> {
  const { n, k, w } = context.params;
  const perNode = new Map<string, StageShard[]>();
  const keysByNode: Array<readonly string[]> = [];
  for (const [index, op] of ops.entries()) {
    if ((op.op !== 'create' && op.op !== 'update') || unchanged.includes(index)) continue;
    const version = plan[index]?.version ?? 0;
    const key = { tenant, namespace: op.namespace, name: op.name };
    const shares = splitSecret({ ...key, version }, op.value, n, k);
    const holders = holdersOf(context, key);
    keysByNode.push(holders.map((holder) => holder.nodeId));
    holders.forEach((holder, shardIndex) => {
      const list = perNode.get(holder.nodeId) ?? [];
      list.push({
        namespace: op.namespace,
        name: op.name,
        version,
        writeId,
        index: shardIndex,
        share: shares[shardIndex]?.y ?? new Uint8Array(),
      });
      perNode.set(holder.nodeId, list);
    });
  }
  if (perNode.size === 0) return [...context.params.nodeIds];
  const acked = new Set<string>();
  await Promise.all(
    [...perNode].map(async ([nodeId, shards]) => {
      try {
        await context.holders.get(nodeId)?.stage({ tenant, partition, minOffset: intentOffset, shards });
        acked.add(nodeId);
        if (nodeId !== context.nodeId) context.membership.markSeen(nodeId);
      } catch (error) {
        context.logger.debug({ err: error, nodeId, writeId }, 'stage failed');
      }
    }),
  );
  // I-X3: every written key needs W durable shards, or the whole batch aborts.
  const quorate = keysByNode.every((nodes) => nodes.filter((node) => acked.has(node)).length >= w);
  return quorate ? [...acked].sort() : undefined;
}

/** An idempotent retry: wait for the earlier write's outcome and answer as it did. */
async function awaitEarlierWrite(context: CoordinatorContext, writeId: string): Promise<BatchOpResult[]> {
  const deadline = Date.now() + context.timeouts.pendingWriteMs + context.timeouts.applyMs;
  for (;;) {
    const earlier = writeRecord(context, writeId);
    throwIfRejected(earlier);
    if (earlier.state === 'committed') {
      const unchanged = new Set(earlier.outcome.unchanged ?? []);
      return earlier.plan.map((planned, index) =>
        unchanged.has(index)
          ? { version: planned.version - 1, unchanged: true }
          : { version: planned.version },
      );
    }
    if (earlier.state === 'aborted')
      throw new DsvError('DSV_WRITE_QUORUM_FAILED', 'The original request did not complete');
    if (Date.now() > deadline) throw new DsvError('DSV_WRITE_CONFLICT');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
