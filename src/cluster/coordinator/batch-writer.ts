// Write protocol (DESIGN §6): intent → the state machine's verdict → split and stage with quorum W →
// commit, or abort. One batch is all-or-nothing, which is what makes .env transforms atomic (§10).
import { timingSafeEqual } from 'node:crypto';
import type { Caller } from '../../control/index.ts';
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { CommitShard, IntentEntry, IntentOp, SecretKey } from '../../secrets/index.ts';
import { newBlinding, shareCommitment, splitSecret } from '../../sharing/index.ts';
import { canonicalJson, sha256Hex } from '../../trust/index.ts';
import type { PlannedOp, WriteRecord } from '../../view/index.ts';
import type { StageShard } from '../shard-holder.ts';
import { gatherEndorsements } from './endorsements.ts';
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

/**
 * The idempotency key as the log sees it: scoped to the caller and the request's targets, so a key reused by
 * another principal or for other secrets never replays someone else's answer (issue #8). Values are left out
 * on purpose: a hash of a low-entropy value in the log could be brute-forced.
 */
export function scopedIdempotencyKey(
  caller: Pick<Caller, 'accessor'>,
  key: string,
  ops: ReadonlyArray<{ namespace: string; name: string }>,
): string {
  // The targets, not the ops: a v2 upsert retried on another node may plan an update of what it created.
  const targets = ops.map((op) => [op.namespace, op.name]);
  return sha256Hex(canonicalJson([caller.accessor, key, targets]));
}

export async function executeBatch(
  context: CoordinatorContext,
  tenant: string,
  ops: readonly BatchOp[],
  options: BatchOptions,
): Promise<BatchOpResult[]> {
  const { caller } = options;
  if (!ops.some((op) => op.op !== 'read')) return readSnapshot(context, tenant, ops, caller);
  checkValueQuota(context, tenant, ops);
  checkQuorumReachable(context, tenant, ops);
  if (ops.some((op) => op.op === 'delete')) await probeDeleteHolders(context, tenant, ops);
  const partition = partitionOf(context, tenant);
  const writeId = newWriteId();
  const intentOps = ops.map(intentOpOf);
  const intent: IntentEntry = {
    type: 'intent',
    writeId,
    tenant,
    time: Date.now(),
    coordinator: context.nodeId,
    ...(options.idempotencyKey === undefined
      ? {}
      : { idempotencyKey: scopedIdempotencyKey(caller, options.idempotencyKey, ops) }),
    ops: intentOps,
    endorsements: [],
  };
  // I-T3: the intent counts only with endorsements of nodes that checked the caller themselves.
  const endorsements = await gatherEndorsements(context, partition, intent, caller);
  const intentOffset = await appendAndApply(context, partition, { ...intent, endorsements });
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
      const info = context.view.version(key(planned), planned.version) ?? {
        version: planned.version,
        writeId: planned.writeId,
        validFrom: 0,
        validTo: null,
        holders: [],
        generation: 0,
      };
      results[index] = {
        version: planned.version,
        value: (await fetchVersionValue(context, key(planned), info, { caller, purpose: 'read' })).value,
      };
    }
    unchanged = await findUnchanged(context, tenant, ops, verdict.plan, caller);
  } catch (error) {
    await appendAbort(context, partition, tenant, writeId, 'read-failed');
    throw error;
  }

  const shards = await stageAll(
    context,
    tenant,
    partition,
    intentOffset,
    writeId,
    ops,
    verdict.plan,
    unchanged,
  );
  if (!Array.isArray(shards)) {
    await appendAbort(context, partition, tenant, writeId, 'quorum');
    const { answered, diskFull } = shards;
    // I-C5: holders past their critical disk threshold refused to stage; say so rather than "quorum".
    if (diskFull)
      throw new DsvError(
        'DSV_DISK_FULL',
        'Too few holders of this secret have disk space; nothing was written',
        {
          details: { answered, needed: context.params.w, retryAfterSeconds: 5 },
        },
      );
    throw new DsvError('DSV_WRITE_QUORUM_FAILED', undefined, {
      details: { answered, needed: context.params.w },
    });
  }
  faultPoint('after-stage'); // test-only crash hook, inert unless DSV_FAULT_POINTS names it
  const commitOffset = await appendAndApply(context, partition, {
    type: 'commit',
    writeId,
    tenant,
    time: Date.now(),
    shards,
    ...(unchanged.length > 0 ? { unchanged } : {}),
  });
  const final = writeRecord(context, writeId);
  if (final.outcome.abortReason === 'retention-hold') {
    // I-C2b: a hold placed after this delete was ordered, before it committed: nothing was deleted.
    throw new DsvError('DSV_RETENTION_HOLD');
  }
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
export function checkQuorumReachable(
  context: CoordinatorContext,
  tenant: string,
  ops: ReadonlyArray<{ readonly op: string; readonly namespace: string; readonly name: string }>,
): void {
  const { n, k, w } = context.params;
  for (const op of ops) {
    if (op.op === 'read') continue;
    const up = holdersOf(context, { tenant, ...op }).filter((holder) => isUp(context, holder.nodeId)).length;
    if (op.op === 'delete' && up < n - k + 1)
      throw new DsvError('DSV_DELETE_QUORUM_FAILED', undefined, {
        details: { answered: up, needed: n - k + 1 },
      });
    if (op.op !== 'delete' && up < w)
      throw new DsvError('DSV_WRITE_QUORUM_FAILED', undefined, { details: { answered: up, needed: w } });
  }
}

/**
 * A published delete will happen, whatever the answer says; so before publishing one, ask its holders now
 * (membership may not have noticed a node die yet) and refuse with nothing done when fewer than n − k + 1
 * answer. A 503 for a delete then means "not deleted" in all but a sub-second window.
 */
export async function probeDeleteHolders(
  context: CoordinatorContext,
  tenant: string,
  ops: ReadonlyArray<{ readonly op: string; readonly namespace: string; readonly name: string }>,
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
    const answered = answers.filter(Boolean).length;
    if (answered < n - k + 1)
      throw new DsvError('DSV_DELETE_QUORUM_FAILED', undefined, { details: { answered, needed: n - k + 1 } });
  }
}

export function throwIfRejected(verdict: WriteRecord): void {
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
  caller: Caller,
): Promise<number[]> {
  const unchanged: number[] = [];
  for (const [index, op] of ops.entries()) {
    if (op.op !== 'update') continue;
    const key = { tenant, namespace: op.namespace, name: op.name };
    const latest = context.view.version(key, (plan[index]?.version ?? 1) - 1);
    if (!latest) continue;
    const { value } = await fetchVersionValue(context, key, latest, { caller, purpose: 'compare' });
    if (value.length === op.value.length && timingSafeEqual(value, op.value)) unchanged.push(index);
  }
  return unchanged;
}

/**
 * Splits every written value, commits to each shard (I-C2) and stages shard i on holder i; returns the
 * holders' receipts when every written key has W of them (I-X3), else undefined.
 */
async function stageAll(
  context: CoordinatorContext,
  tenant: string,
  partition: number,
  intentOffset: number,
  writeId: string,
  ops: readonly BatchOp[],
  plan: readonly PlannedOp[],
  unchanged: readonly number[],
): Promise<CommitShard[] | { answered: number; diskFull: boolean }> {
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
      const share = shares[shardIndex]?.y ?? new Uint8Array();
      const blinding = newBlinding();
      list.push({
        namespace: op.namespace,
        name: op.name,
        version,
        writeId,
        index: shardIndex,
        share,
        blinding,
        commitment: shareCommitment({ ...key, version }, writeId, shardIndex, blinding, share),
      });
      perNode.set(holder.nodeId, list);
    });
  }
  if (perNode.size === 0) return [];
  const receipts: CommitShard[] = [];
  const acked = new Set<string>();
  let diskFull = false;
  await Promise.all(
    [...perNode].map(async ([nodeId, shards]) => {
      try {
        const given = await context.holders
          .get(nodeId)
          ?.stage({ tenant, partition, minOffset: intentOffset, shards });
        receipts.push(...(given ?? []));
        acked.add(nodeId);
        if (nodeId !== context.nodeId) context.membership.markSeen(nodeId);
      } catch (error) {
        if (isDsvError(error) && error.code === 'DSV_DISK_FULL') diskFull = true;
        context.logger.debug({ err: error, nodeId, writeId }, 'stage failed');
      }
    }),
  );
  // I-X3: every written key needs W durable shards, or the whole batch aborts.
  const quorate = keysByNode.every((nodes) => nodes.filter((node) => acked.has(node)).length >= w);
  const fewest = Math.min(...keysByNode.map((nodes) => nodes.filter((node) => acked.has(node)).length));
  return quorate ? receipts : { answered: fewest, diskFull }; // the key with the fewest holders that stored it
}

/** An op as the intent records it: names and conditions, never a value (DESIGN §5). */
export function intentOpOf(
  op:
    | { readonly op: 'read'; readonly namespace: string; readonly name: string; readonly version?: number }
    | {
        readonly op: 'create' | 'update' | 'delete';
        readonly namespace: string;
        readonly name: string;
        readonly expectedVersion?: number;
      },
): IntentOp {
  return op.op === 'read'
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
      };
}

/** What a committed write answered, op by op: an unchanged update names the version it left in place. */
export function committedResults(record: WriteRecord): BatchOpResult[] {
  const unchanged = new Set(record.outcome.unchanged ?? []);
  return record.plan.map((planned, index) =>
    unchanged.has(index) ? { version: planned.version - 1, unchanged: true } : { version: planned.version },
  );
}

/** An idempotent retry: wait for the earlier write's outcome and answer as it did. */
export async function awaitEarlierWrite(
  context: CoordinatorContext,
  writeId: string,
): Promise<BatchOpResult[]> {
  const deadline = Date.now() + context.timeouts.pendingWriteMs + context.timeouts.applyMs;
  for (;;) {
    const earlier = writeRecord(context, writeId);
    throwIfRejected(earlier);
    if (earlier.state === 'committed') return committedResults(earlier);
    if (earlier.state === 'aborted')
      throw new DsvError('DSV_WRITE_QUORUM_FAILED', 'The original request did not complete');
    if (Date.now() > deadline) throw new DsvError('DSV_WRITE_CONFLICT');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
