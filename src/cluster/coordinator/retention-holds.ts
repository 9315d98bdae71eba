// Retention holds through the log (I-C2b): placing and releasing one are authority records on the tenant's
// partition (k endorsements, a rid applied once), so every node orders them with the tenant's deletes and
// shreds and reaches the same verdict. The state machine decides; this file appends and reports.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { HoldRecord } from '../../view/index.ts';
import { appendAuthority } from './authority-append.ts';
import { awaitEverywhere, partitionOf, type CoordinatorContext } from './coordinator-context.ts';

export interface HoldRequest {
  readonly tenant: string;
  /** null: the whole tenant. */
  readonly namespace: string | null;
  /** null: the whole namespace (or tenant); a name needs a namespace. */
  readonly name: string | null;
  readonly reason: string;
  /** Expiry counted in log time from the hold's own record (I-X4); null: until released. */
  readonly ttlMs: number | null;
}

export interface HoldOutcome {
  readonly hold: HoldRecord;
  /** Nodes that confirmed they applied the record (this one included). */
  readonly confirmedNodes: string[];
}

async function caughtUp(context: CoordinatorContext, tenant: string): Promise<number> {
  const partition = partitionOf(context, tenant);
  await context.applier.catchUp(partition, context.timeouts.applyMs);
  return partition;
}

export async function placeHold(
  context: CoordinatorContext,
  request: HoldRequest,
  caller: Caller,
): Promise<HoldOutcome> {
  if (request.namespace === null && request.name !== null) {
    throw new DsvError('DSV_INPUT_INVALID', 'A hold on a secret names its namespace too');
  }
  const partition = await caughtUp(context, request.tenant);
  if (context.view.isShredded(request.tenant)) throw new DsvError('DSV_TENANT_SHREDDED');
  const holdId = randomUUID();
  const offset = await appendAuthority(
    context,
    partition,
    { type: 'hold-place', time: Date.now(), holdId, by: caller.accessor, ...request },
    caller,
  );
  const hold = context.view.hold(holdId);
  // Not recorded: the tenant was shredded between the check and the record.
  if (!hold) throw new DsvError('DSV_TENANT_SHREDDED');
  return { hold, confirmedNodes: await awaitEverywhere(context, partition, offset) };
}

/** The hold, if it exists in this tenant (released or not), as this node has applied the log so far. */
export async function findHold(
  context: CoordinatorContext,
  tenant: string,
  holdId: string,
): Promise<HoldRecord | undefined> {
  await caughtUp(context, tenant);
  const hold = context.view.hold(holdId);
  return hold?.tenant === tenant ? hold : undefined;
}

export async function releaseHold(
  context: CoordinatorContext,
  hold: HoldRecord,
  caller: Caller,
): Promise<HoldOutcome> {
  const partition = await caughtUp(context, hold.tenant);
  const current = context.view.hold(hold.holdId);
  if (current?.tenant !== hold.tenant || current.releasedAt !== null)
    throw new DsvError('DSV_HOLD_NOT_FOUND');
  const offset = await appendAuthority(
    context,
    partition,
    {
      type: 'hold-release',
      tenant: current.tenant,
      time: Date.now(),
      holdId: current.holdId,
      namespace: current.namespace,
      name: current.name,
      by: caller.accessor,
    },
    caller,
  );
  const released = context.view.hold(hold.holdId);
  // Released by someone else in between: this record was a no-op.
  if (released?.releasedAt === null || released?.releasedBy !== caller.accessor) {
    throw new DsvError('DSV_HOLD_NOT_FOUND');
  }
  return { hold: released, confirmedNodes: await awaitEverywhere(context, partition, offset) };
}

export async function listHolds(
  context: CoordinatorContext,
  tenant: string,
  includeReleased: boolean,
): Promise<HoldRecord[]> {
  await caughtUp(context, tenant);
  return context.view.holds(tenant, includeReleased);
}

/**
 * The hold that would refuse a crypto-shred of `tenant` now, if any: checked before the shred is published
 * (the state machine decides again in log order). Expiry against the later of log time and this node's clock,
 * so a hold that has lapsed is not held against the request here; the log's verdict is the one that counts.
 */
export async function holdAgainstShred(
  context: CoordinatorContext,
  tenant: string,
): Promise<HoldRecord | undefined> {
  const partition = await caughtUp(context, tenant);
  const now = Math.max(context.view.applied(partition).logTime, Date.now());
  return context.view.holdInTenant(tenant, now);
}
