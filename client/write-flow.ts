// Client-side write (docs/client-side-protocol.md, "Write"): prepare one intent for every op, have k − 1 other
// nodes endorse it, order it, read what must be compared or resolved, stage the shards on their holders, commit
// once every written key has W receipts, and have one other node confirm the outcome; on any failure after
// ordering, abort. Nothing but shards and
// commitments leaves this process, and every node gets only its own credential, never the token.
import { DsvClientError } from './client-error.ts';
import { shuffled } from './shard-reader.ts';
import { segment, type Session } from './session.ts';
import { eachBounded, firstAnswers, sameBytes } from './values.ts';
import { confirmOutcome, type ClaimedOutcome } from './write-confirm.ts';
import {
  parseCommitted,
  parseEndorsement,
  parseOrdered,
  parsePrepared,
  parseWriteStatus,
  type DuplicateWrite,
  type Endorsement,
  type NodeRef,
  type OpResult,
  type OrderedWrite,
  type PlanEntry,
  type PreparedWrite,
} from './wire.ts';

export type WriteOp =
  | {
      readonly op: 'create' | 'update';
      readonly namespace: string;
      readonly name: string;
      readonly expectedVersion?: number;
      readonly value: Uint8Array;
    }
  | {
      readonly op: 'delete';
      readonly namespace: string;
      readonly name: string;
      readonly expectedVersion?: number;
    }
  | { readonly op: 'read'; readonly namespace: string; readonly name: string; readonly version?: number };

export interface WriteOptions {
  readonly idempotencyKey?: string;
  /** Create-or-update attempt 2 or 3: the server keys it as idempotencyKey + "\n" + attempt. */
  readonly attempt?: number;
}

export interface WriteResult {
  /** One per op, in order (reads give their version). */
  readonly results: readonly OpResult[];
  /** The values of the read ops, by op index (absent for a replayed write). The caller wipes them. */
  readonly reads: ReadonlyMap<number, Uint8Array>;
}

/** Reads and compares at once per write (a .env file may name hundreds of secrets). */
const READ_CONCURRENCY = 8;
const WRITES = '/v2/client-side/writes';
const ENDORSE = '/v2/client-side/endorse';

const logDecisions = new WeakSet<DsvClientError>();

/** An error the ordering step answered (the log's verdict, or the node's refusal): nothing was staged. */
export const decidedByLog = (error: unknown): boolean =>
  error instanceof DsvClientError && logDecisions.has(error);

/** Marks an answer of the ordering step (exported for the tests of the PUT rules). */
export function asLogDecision(error: DsvClientError): DsvClientError {
  logDecisions.add(error);
  return error;
}

function wireOp(op: WriteOp): Record<string, unknown> {
  const { namespace, name } = op;
  if (op.op === 'read')
    return { op: 'read', namespace, name, ...(op.version === undefined ? {} : { version: op.version }) };
  return {
    op: op.op,
    namespace,
    name,
    ...(op.expectedVersion === undefined ? {} : { expectedVersion: op.expectedVersion }),
  };
}

/**
 * The plan must answer the ops one for one: same op, same secret, same tenant; reads and previous versions of
 * that secret; and every shard on the placement computed here over the pinned nodes — all checked before
 * anything is read or staged.
 */
async function checkPlan(session: Session, ops: readonly WriteOp[], answer: OrderedWrite): Promise<void> {
  const { plan, tenant } = answer;
  const mismatch = () => new DsvClientError('DSV_INTERNAL', 'The write plan does not match the request');
  if (plan.length !== ops.length) throw mismatch();
  for (const [index, entry] of plan.entries()) {
    const op = ops[index] as WriteOp;
    if (entry.op !== op.op || entry.namespace !== op.namespace || entry.name !== op.name) throw mismatch();
    const key = { tenant, namespace: op.namespace, name: op.name };
    if (entry.op === 'read') {
      if (entry.resolved === undefined) throw mismatch();
      session.checkResolved(entry.resolved, op.namespace, op.name, entry.version);
    } else if (entry.op !== 'delete') {
      if (entry.holders === undefined) throw mismatch();
      await session.placed(key, entry.holders);
    }
    if (entry.previous !== undefined) session.checkResolved(entry.previous, op.namespace, op.name);
    for (const version of [entry.resolved, entry.previous]) {
      if (version === undefined) continue;
      if (version.tenant !== tenant) throw mismatch();
      await session.placed(key, version.holders);
    }
  }
}

/**
 * The intent a node prepared must be the one asked for — these ops, this write, that node as coordinator — before
 * the client vouches for it at other nodes: else a lying coordinator could have it endorse another write.
 */
function checkIntent(prepared: PreparedWrite, ops: readonly WriteOp[], coordinator: NodeRef): void {
  const { intent } = prepared;
  const wanted = JSON.stringify(ops.map(wireOp));
  const given = Array.isArray(intent.ops)
    ? JSON.stringify((intent.ops as unknown[]).map((op) => wireOp(op as WriteOp)))
    : undefined;
  if (
    intent.type !== 'intent' ||
    intent.writeId !== prepared.writeId ||
    intent.coordinator !== coordinator.nodeId ||
    given !== wanted
  )
    throw new DsvClientError('DSV_INTERNAL', 'The node prepared another write than the one asked for');
}

/** Endorsements from `needed` nodes other than the coordinator, any of them, a replacement for each refusal. */
async function endorse(
  session: Session,
  prepared: PreparedWrite,
  coordinator: NodeRef,
): Promise<Endorsement[]> {
  const { nodes } = await session.topology();
  const others = shuffled(nodes.filter((node) => node.nodeId !== coordinator.nodeId));
  const body = { partition: prepared.partition, intent: prepared.intent };
  return firstAnswers(
    others,
    prepared.endorsementsNeeded,
    async (node) => {
      const endorsement = parseEndorsement(await session.nodes.at(node, ENDORSE, { json: body }));
      if (endorsement.node !== node.nodeId)
        throw new DsvClientError('DSV_INTERNAL', 'A node endorsed under another name');
      return endorsement;
    },
    endorsementFailure,
  );
}

/** As the server path says it: a refusal is 403, a log that is down 503 DSV_LOG_UNAVAILABLE, else too few. */
function endorsementFailure(failures: unknown[]): DsvClientError {
  const errors = failures.filter((failure): failure is DsvClientError => failure instanceof DsvClientError);
  const refused = errors.find((error) => error.status === 403);
  if (refused !== undefined) return refused;
  const logDown = errors.find((error) => error.code === 'DSV_LOG_UNAVAILABLE');
  if (logDown !== undefined) return logDown;
  return new DsvClientError('DSV_WRITE_QUORUM_FAILED', 'Not enough nodes could vouch for the request', {
    ...(errors[0] === undefined ? {} : { cause: errors[0] }),
  });
}

/** Prepare at any node, endorse elsewhere, order at the same node: the log's verdict and the plan. */
async function orderOnce(
  session: Session,
  ops: readonly WriteOp[],
  options: WriteOptions,
): Promise<{ answer: OrderedWrite | DuplicateWrite; coordinator: NodeRef; writeId: string }> {
  const { answer, node } = await session.nodes.any(`${WRITES}/prepare`, {
    json: {
      ops: ops.map(wireOp),
      ...(options.attempt !== undefined && options.attempt > 1 ? { attempt: options.attempt } : {}),
    },
    headers: options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey },
  });
  const prepared = parsePrepared(answer);
  checkIntent(prepared, ops, node);
  const endorsements = await endorse(session, prepared, node);
  const ordered = parseOrdered(
    await session.nodes.at(node, WRITES, { json: { writeId: prepared.writeId, endorsements } }),
  );
  return { answer: ordered, coordinator: node, writeId: prepared.writeId };
}

const notPrepared = (error: unknown): boolean =>
  error instanceof DsvClientError && error.code === 'DSV_WRITE_NOT_PREPARED';

/**
 * The ordering step; prepared once more when the coordinator no longer holds the prepared write (its 60 s
 * lapsed while endorsements were gathered, or it restarted: 409 DSV_WRITE_NOT_PREPARED, nothing appended).
 */
async function order(
  session: Session,
  ops: readonly WriteOp[],
  options: WriteOptions,
): Promise<{ answer: OrderedWrite | DuplicateWrite; coordinator: NodeRef; writeId: string }> {
  try {
    return await orderOnce(session, ops, options).catch((error: unknown) => {
      if (!notPrepared(error)) throw error;
      return orderOnce(session, ops, options);
    });
  } catch (error) {
    if (error instanceof DsvClientError && error.code !== 'DSV_INTERNAL' && !notPrepared(error))
      asLogDecision(error);
    throw error;
  }
}

/** Step 7: one other pinned node, at random, must tell the outcome the coordinator answered (VULN-7). */
async function confirm(
  session: Session,
  writeId: string,
  coordinator: NodeRef,
  claimed: ClaimedOutcome,
): Promise<void> {
  const { nodes } = await session.topology();
  const others = shuffled(nodes.filter((node) => node.nodeId !== coordinator.nodeId));
  await confirmOutcome(others, claimed, async (node) =>
    parseWriteStatus(await session.nodes.at(node, `${WRITES}/${segment(writeId)}`)),
  );
}

export async function runWrite(
  session: Session,
  ops: readonly WriteOp[],
  options: WriteOptions = {},
): Promise<WriteResult> {
  const { answer, coordinator, writeId } = await order(session, ops, options);
  if ('duplicate' in answer) {
    await confirm(session, writeId, coordinator, { state: 'duplicate', results: answer.results });
    return { results: answer.results, reads: new Map() };
  }
  const reads = new Map<number, Uint8Array>();
  try {
    if (answer.coordinator.nodeId !== coordinator.nodeId || answer.writeId !== writeId)
      throw new DsvClientError(
        'DSV_INTERNAL',
        'The write was ordered by another node than the one that prepared it',
      );
    await checkPlan(session, ops, answer);
    const unchanged = await compareAndRead(session, ops, answer, reads);
    const targets = answer.plan.flatMap((entry, index) => {
      const op = ops[index] as WriteOp;
      if ((op.op !== 'create' && op.op !== 'update') || unchanged.includes(index)) return [];
      return [
        {
          namespace: entry.namespace,
          name: entry.name,
          version: entry.version,
          holders: entry.holders ?? [],
          value: op.value,
        },
      ];
    });
    const { tenant, partition, minOffset } = answer;
    const receipts = await session.stage({ tenant, partition, minOffset, writeId }, targets);
    const results = parseCommitted(
      await session.nodes.at(coordinator, `${WRITES}/${segment(writeId)}/commit`, {
        json: { receipts, unchanged },
      }),
    );
    await confirm(session, writeId, coordinator, { state: 'committed', results });
    return { results, reads };
  } catch (error) {
    for (const value of reads.values()) value.fill(0);
    await session.nodes
      .at(coordinator, `${WRITES}/${segment(writeId)}/abort`, { json: {} })
      .catch(() => undefined); // the pending-write timeout aborts it anyway (a committed write stays)
    throw error;
  }
}

/** Step 2: the op indexes whose value equals the previous version's; the pinned versions of the reads. */
async function compareAndRead(
  session: Session,
  ops: readonly WriteOp[],
  answer: OrderedWrite,
  reads: Map<number, Uint8Array>,
): Promise<number[]> {
  const unchanged: number[] = [];
  await eachBounded(answer.plan, READ_CONCURRENCY, async (entry, index) => {
    const op = ops[index] as WriteOp;
    if (op.op === 'read') {
      reads.set(index, await session.readValue(entry.resolved as NonNullable<PlanEntry['resolved']>, 'read'));
      return;
    }
    if (op.op !== 'update' || entry.previous === undefined) return;
    let previous: Uint8Array;
    try {
      previous = await session.readValue(entry.previous, 'compare');
    } catch (error) {
      // Holders give a client the shards of a compare only if it may read them (to a client, a compare is a
      // read: it would combine them). Without `read` the update cannot be found unchanged: a new version.
      if (error instanceof DsvClientError && error.code === 'DSV_PEER_REJECTED') return;
      throw error;
    }
    try {
      if (sameBytes(previous, op.value)) unchanged.push(index);
    } finally {
      previous.fill(0);
    }
  });
  return unchanged.sort((a, b) => a - b);
}
