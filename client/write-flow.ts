// Client-side write (docs/client-side-protocol.md, "Write"): order one intent for every op, read what must be
// compared or resolved, stage the shards on their holders, commit once every written key has W receipts; on
// any failure after ordering, abort. Nothing but shards and commitments leaves this process.
import { DsvClientError } from './client-error.ts';
import { segment, type Session } from './session.ts';
import { eachBounded, sameBytes } from './values.ts';
import { parseCommitted, parseOrdered, type OpResult, type OrderedWrite, type PlanEntry } from './wire.ts';

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

/** The plan must answer the ops one for one: same op, same secret; reads and previous versions of that secret. */
function checkPlan(session: Session, ops: readonly WriteOp[], plan: readonly PlanEntry[]): void {
  const mismatch = () => new DsvClientError('DSV_INTERNAL', 'The write plan does not match the request');
  if (plan.length !== ops.length) throw mismatch();
  plan.forEach((entry, index) => {
    const op = ops[index] as WriteOp;
    if (entry.op !== op.op || entry.namespace !== op.namespace || entry.name !== op.name) throw mismatch();
    if (entry.op === 'read') {
      if (entry.resolved === undefined) throw mismatch();
      session.checkResolved(entry.resolved, op.namespace, op.name, entry.version);
    } else if (entry.op !== 'delete' && entry.holders === undefined) throw mismatch();
    if (entry.previous !== undefined) session.checkResolved(entry.previous, op.namespace, op.name);
  });
}

async function order(session: Session, ops: readonly WriteOp[], options: WriteOptions) {
  try {
    return parseOrdered(
      await session.coordinators.call(WRITES, {
        json: {
          ops: ops.map(wireOp),
          ...(options.attempt !== undefined && options.attempt > 1 ? { attempt: options.attempt } : {}),
        },
        headers: options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey },
      }),
    );
  } catch (error) {
    if (error instanceof DsvClientError && error.code !== 'DSV_INTERNAL') asLogDecision(error);
    throw error;
  }
}

export async function runWrite(
  session: Session,
  ops: readonly WriteOp[],
  options: WriteOptions = {},
): Promise<WriteResult> {
  const answer = await order(session, ops, options);
  if ('duplicate' in answer) return { results: answer.results, reads: new Map() };
  const reads = new Map<number, Uint8Array>();
  let pinned = false;
  try {
    checkPlan(session, ops, answer.plan);
    await session.checkNodes([answer.coordinator]);
    pinned = true;
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
    const { tenant, partition, minOffset, writeId } = answer;
    const receipts = await session.stage({ tenant, partition, minOffset, writeId }, targets);
    const committed = await session.coordinators.at(
      answer.coordinator.url,
      `${WRITES}/${segment(writeId)}/commit`,
      {
        json: { receipts, unchanged },
      },
    );
    return { results: parseCommitted(committed), reads };
  } catch (error) {
    for (const value of reads.values()) value.fill(0);
    // Only to the node the topology knows under that id: the token never goes to a URL a node made up.
    if (pinned)
      await session.coordinators
        .at(answer.coordinator.url, `${WRITES}/${segment(answer.writeId)}/abort`, { json: {} })
        .catch(() => undefined); // the pending-write timeout aborts it anyway
    session.forgetTopology();
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
