// Client-side mode (issue #9, docs/client-side-protocol.md): this node orders a client's write and later
// appends its commit, but never sees the value. The client splits it and stages each shard on its holder
// itself; the intent names the client as `stager`, so holders take stages from that client only (I-S4c), and
// the commit counts only with the holders' own signed receipts (I-X3), verified again by every node.
import type { Caller, Endorsement } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import {
  endorsementDigest,
  type CommitShard,
  type IntentEntry,
  type SecretKey,
} from '../../secrets/index.ts';
import { SignatureVerifier } from '../../trust/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import { holdersFor } from '../placement.ts';
import type { BatchOpResult } from './batch-types.ts';
import {
  awaitEarlierWrite,
  committedResults,
  intentOpOf,
  checkQuorumReachable,
  probeDeleteHolders,
  scopedIdempotencyKey,
  throwIfRejected,
} from './batch-writer.ts';
import {
  appendAbort,
  appendAndApply,
  newWriteId,
  partitionOf,
  writeRecord,
  type CoordinatorContext,
} from './coordinator-context.ts';
import { awaitDeleteQuorum } from './delete-quorum.ts';
import { endorsementsNeeded } from './endorsements.ts';
import { catchUp, resolveVersion, type VersionSelector } from './reader.ts';
import { checkTenantKey } from './tenant-keys.ts';
import { PreparedIntents } from './prepared-intents.ts';

export type ClientWriteOp =
  | {
      readonly op: 'create' | 'update';
      readonly namespace: string;
      readonly name: string;
      readonly expectedVersion?: number;
    }
  | {
      readonly op: 'delete';
      readonly namespace: string;
      readonly name: string;
      readonly expectedVersion?: number;
    }
  | { readonly op: 'read'; readonly namespace: string; readonly name: string; readonly version?: number };

/** What a client needs to fetch and check one version's shards itself: never a value. */
export interface ResolvedVersion {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly partition: number;
  /** Holders first apply the log up to here, so they know the version the client asks for. */
  readonly minOffset: number;
  readonly validFrom: number;
  readonly validTo: number | null;
  readonly generation?: number;
  readonly holders: ReadonlyArray<{
    readonly index: number;
    readonly nodeId: string;
    readonly commitment: string | null;
  }>;
}

export interface PlannedClientOp {
  readonly op: 'create' | 'update' | 'delete' | 'read';
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  /** create/update: where shard i goes. */
  readonly holders?: ReadonlyArray<{ readonly index: number; readonly nodeId: string }>;
  /** update: the version it replaces, for the client's unchanged-value check (DESIGN §5). */
  readonly previous?: ResolvedVersion;
  /** read (a `.env` secret(…) line): the version the log pinned. */
  readonly resolved?: ResolvedVersion;
}

export type OrderedClientWrite =
  | { readonly duplicate: true; readonly results: BatchOpResult[] }
  | {
      readonly duplicate?: undefined;
      readonly writeId: string;
      readonly tenant: string;
      readonly partition: number;
      readonly minOffset: number;
      readonly coordinator: string;
      readonly plan: PlannedClientOp[];
    };

function describe(context: CoordinatorContext, key: SecretKey, info: VersionInfo): ResolvedVersion {
  const partition = partitionOf(context, key.tenant);
  const placement = holdersFor(key, context.params.nodeIds, context.params.n);
  const generation = (info as { generation?: number }).generation;
  return {
    ...key,
    version: info.version,
    writeId: info.writeId,
    partition,
    minOffset: context.applier.nextOffset(partition),
    validFrom: info.validFrom,
    validTo: info.validTo,
    ...(generation === undefined ? {} : { generation }),
    holders: placement.map((nodeId, index) => ({
      index,
      nodeId,
      commitment: info.commitments?.[String(index)] ?? null,
    })),
  };
}

/** Resolves the version a client-side read fetches (DESIGN §7 step 1, without the fetch). */
export async function resolveForClient(
  context: CoordinatorContext,
  key: SecretKey,
  selector: VersionSelector,
): Promise<ResolvedVersion> {
  await catchUp(context, key.tenant);
  await checkTenantKey(context, key.tenant); // I-K7: the holders will open the shards under the tenant's key
  const info = resolveVersion(context, key, selector);
  if (!info) throw new DsvError('DSV_SECRET_NOT_FOUND');
  return describe(context, key, info);
}

/** A prepared intent waits this long for its endorsements; after that the client prepares again. */
const PREPARED_TTL_MS = 60_000;
/** Every coordinator of this process shares one budget (keys name the node): it bounds the process. */
const prepared = new PreparedIntents();
const preparedKey = (context: CoordinatorContext, writeId: string) => `${context.nodeId}\u0000${writeId}`;

export interface PreparedClientWrite {
  readonly writeId: string;
  readonly partition: number;
  /** The exact record each endorser signs (I-T3); the client carries it to them itself. */
  readonly intent: IntentEntry;
  readonly endorsementsNeeded: number;
}

/**
 * Client-side write, step 1 (docs/client-side-protocol.md): this node builds the intent, naming the caller as
 * stager and itself as coordinator, and keeps it briefly. The client gathers the endorsements itself, from
 * k − 1 other nodes, each with its credential for that node: no node ever holds a credential usable at
 * another, so no single node can act as the client anywhere else (I-G3, I-T3).
 */
export function prepareClientWrite(
  context: CoordinatorContext,
  tenant: string,
  ops: readonly ClientWriteOp[],
  options: { readonly caller: Caller; readonly idempotencyKey?: string },
): Promise<PreparedClientWrite> {
  return (async () => {
    const { caller } = options;
    if (!ops.some((op) => op.op !== 'read'))
      throw new DsvError(
        'DSV_INPUT_INVALID',
        'A client-side write needs at least one create, update or delete',
      );
    checkQuorumReachable(context, tenant, ops);
    if (ops.some((op) => op.op === 'delete')) await probeDeleteHolders(context, tenant, ops);
    const partition = partitionOf(context, tenant);
    const writeId = newWriteId();
    const intent: IntentEntry = {
      type: 'intent',
      writeId,
      tenant,
      time: Date.now(),
      coordinator: context.nodeId,
      stager: caller.accessor,
      ...(options.idempotencyKey === undefined
        ? {}
        : { idempotencyKey: scopedIdempotencyKey(caller, options.idempotencyKey, ops) }),
      ops: ops.map(intentOpOf),
      endorsements: [],
    };
    const now = Date.now();
    // Bounded in all, per tenant and per token: a flood is refused (retriable), never held (prepared-intents.ts).
    prepared.add(preparedKey(context, writeId), { intent, partition, expires: now + PREPARED_TTL_MS }, now);
    return { writeId, partition, intent, endorsementsNeeded: endorsementsNeeded(context) };
  })();
}

/**
 * Client-side write, step 2: the prepared intent with the endorsements the client gathered is appended; the
 * log's verdict and the placement come back. Endorsements are checked here first (distinct other members,
 * valid signatures) so a short-handed intent never reaches the log; every node checks them again (I-T3).
 */
export async function orderClientWrite(
  context: CoordinatorContext,
  caller: Caller,
  writeId: string,
  endorsements: readonly Endorsement[],
): Promise<OrderedClientWrite> {
  const key = preparedKey(context, writeId);
  const held = prepared.get(key);
  if (!held || held.intent.stager !== caller.accessor || held.expires < Date.now())
    throw new DsvError('DSV_WRITE_NOT_PREPARED');
  const { intent, partition } = held;
  // I-K7: the holders will seal under the tenant's key: a tenant whose KMS fails is refused before ordering.
  await checkTenantKey(context, intent.tenant);
  const verifier = new SignatureVerifier(context.trust.manifest);
  const digest = endorsementDigest(context.trust.manifest.clusterId, intent);
  const endorsers = new Set(
    endorsements
      .filter(
        (e) =>
          e.node !== context.nodeId && verifier.isMember(e.node) && verifier.verify(e.node, digest, e.sig),
      )
      .map((e) => e.node),
  );
  if (endorsers.size < endorsementsNeeded(context))
    throw new DsvError('DSV_AUTH_FORBIDDEN', 'The write is not endorsed by enough other nodes', {
      details: { endorsed: endorsers.size, needed: endorsementsNeeded(context) },
    });
  prepared.delete(key);
  const verified = endorsements.filter((e) => endorsers.has(e.node));
  const once = [...new Map(verified.map((e) => [e.node, e])).values()];
  await appendAndApply(context, partition, { ...intent, endorsements: once });
  const intentOffset = context.view.write(writeId)?.intentOffset;
  if (intentOffset === undefined)
    throw new DsvError('DSV_AUTH_FORBIDDEN', 'The nodes did not accept the endorsements of this write');
  const tenant = intent.tenant;
  const verdict = writeRecord(context, writeId);
  if (verdict.state === 'duplicate' && verdict.outcome.duplicateOf)
    return { duplicate: true, results: await awaitEarlierWrite(context, verdict.outcome.duplicateOf) };
  throwIfRejected(verdict);
  const plan = verdict.plan.map((planned): PlannedClientOp => {
    const key = { tenant, namespace: planned.namespace, name: planned.name };
    const base = { namespace: planned.namespace, name: planned.name, version: planned.version };
    if (planned.op === 'read') {
      const info = context.view.version(key, planned.version);
      if (!info) throw new DsvError('DSV_SECRET_NOT_FOUND');
      return { ...base, op: 'read', resolved: describe(context, key, info) };
    }
    if (planned.op === 'delete') return { ...base, op: 'delete' };
    if (planned.op !== 'create' && planned.op !== 'update')
      throw new DsvError('DSV_INTERNAL', 'A client-side write planned an unexpected op');
    const previous = planned.op === 'update' ? context.view.version(key, planned.version - 1) : undefined;
    return {
      ...base,
      op: planned.op,
      holders: holdersFor(key, context.params.nodeIds, context.params.n).map((nodeId, index) => ({
        index,
        nodeId,
      })),
      ...(previous === undefined ? {} : { previous: describe(context, key, previous) }),
    };
  });
  return {
    writeId,
    tenant,
    partition,
    minOffset: intentOffset,
    coordinator: context.nodeId,
    plan,
  };
}

/** The stager's own pending write on this node, or a refusal that reveals nothing about others' writes. */
function ownPendingWrite(context: CoordinatorContext, caller: Caller, writeId: string) {
  const write = context.view.write(writeId);
  if (!write || write.stager !== caller.accessor || write.tenant !== caller.tenant)
    throw new DsvError('DSV_SECRET_NOT_FOUND', 'No such client-side write');
  if (write.coordinator !== context.nodeId)
    throw new DsvError('DSV_INPUT_INVALID', 'Commit and abort go to the node that ordered the write');
  return write;
}

/**
 * Appends the commit of a client-side write with the holders' receipts. Counted here first (W distinct
 * placement holders per written key) so a short-handed commit aborts at once; every node verifies the
 * signatures again when it applies the record (I-X3).
 */
export async function commitClientWrite(
  context: CoordinatorContext,
  caller: Caller,
  writeId: string,
  receipts: readonly CommitShard[],
  unchanged: readonly number[],
): Promise<BatchOpResult[]> {
  await catchUp(context, caller.tenant);
  const write = ownPendingWrite(context, caller, writeId);
  if (write.state !== 'pending') return settled(context, writeId);
  const skipped = new Set(unchanged);
  if ([...skipped].some((index) => write.plan[index]?.op !== 'update'))
    throw new DsvError('DSV_INPUT_INVALID', 'Only update ops can be unchanged');
  const partition = write.partition;
  const quorate = write.plan.every((op, index) => {
    if ((op.op !== 'create' && op.op !== 'update') || skipped.has(index)) return true;
    const placement = holdersFor({ tenant: write.tenant, ...op }, context.params.nodeIds, context.params.n);
    const nodes = new Set(
      receipts
        .filter((r) => r.namespace === op.namespace && r.name === op.name && placement[r.index] === r.node)
        .map((r) => r.node),
    );
    return nodes.size >= context.params.w;
  });
  if (!quorate) {
    await appendAbort(context, partition, write.tenant, writeId, 'quorum');
    throw new DsvError('DSV_WRITE_QUORUM_FAILED', 'Too few holders staged their shards; nothing was written');
  }
  const commitOffset = await appendAndApply(context, partition, {
    type: 'commit',
    writeId,
    tenant: write.tenant,
    time: Date.now(),
    shards: receipts,
    ...(skipped.size > 0 ? { unchanged: [...skipped].sort((a, b) => a - b) } : {}),
  });
  const final = writeRecord(context, writeId);
  if (final.state === 'pending') {
    // The state machine refused the commit (a receipt did not verify): nothing is written.
    await appendAbort(context, partition, write.tenant, writeId, 'quorum');
    throw new DsvError(
      'DSV_WRITE_QUORUM_FAILED',
      'The holders\u2019 receipts did not verify; nothing was written',
    );
  }
  const results = await settled(context, writeId);
  const deletes = write.plan
    .filter((op) => op.op === 'delete')
    .map((op) => ({ tenant: write.tenant, namespace: op.namespace, name: op.name }));
  // A delete answers once n − k + 1 holders applied it (DESIGN §6.6), as server-side.
  if (deletes.length > 0) await awaitDeleteQuorum(context, partition, commitOffset, deletes);
  return results;
}

/** The outcome of a write that is no longer pending, answered as the write itself would have. */
function settled(context: CoordinatorContext, writeId: string): Promise<BatchOpResult[]> {
  const record = writeRecord(context, writeId);
  if (record.outcome.abortReason === 'retention-hold') throw new DsvError('DSV_RETENTION_HOLD');
  return awaitEarlierWrite(context, writeId);
}

/** The stager gives up (a read or a stage failed): the write aborts now rather than at its timeout. */
export async function abortClientWrite(
  context: CoordinatorContext,
  caller: Caller,
  writeId: string,
): Promise<void> {
  await catchUp(context, caller.tenant);
  const write = ownPendingWrite(context, caller, writeId);
  if (write.state === 'pending')
    await appendAbort(context, write.partition, write.tenant, writeId, 'read-failed');
}

/** A client-side write as one node's view has it: what a client checks at a node other than the coordinator. */
export type ClientWriteStatus =
  | { readonly state: 'committed'; readonly results: BatchOpResult[] }
  | { readonly state: 'duplicate'; readonly duplicateOf: string; readonly results?: BatchOpResult[] }
  | { readonly state: 'pending' | 'aborted' | 'rejected' };

/**
 * The outcome of the caller's own client-side write at this node, after catching up with the log: a client
 * asks a node other than the coordinator, so a coordinator that answered a commit it never appended is caught
 * (issue #9). Another caller's write does not exist here (404).
 */
export async function clientWriteStatus(
  context: CoordinatorContext,
  caller: Caller,
  writeId: string,
): Promise<ClientWriteStatus> {
  await catchUp(context, caller.tenant);
  const write = context.view.write(writeId);
  if (!write || write.stager !== caller.accessor || write.tenant !== caller.tenant)
    throw new DsvError('DSV_SECRET_NOT_FOUND', 'No such client-side write');
  if (write.state === 'committed') return { state: 'committed', results: committedResults(write) };
  const earlierId = write.outcome.duplicateOf;
  if (write.state === 'duplicate' && earlierId !== undefined) {
    const earlier = context.view.write(earlierId);
    return {
      state: 'duplicate',
      duplicateOf: earlierId,
      ...(earlier?.state === 'committed' ? { results: committedResults(earlier) } : {}),
    };
  }
  return {
    state: write.state === 'pending' ? 'pending' : write.state === 'rejected' ? 'rejected' : 'aborted',
  };
}
