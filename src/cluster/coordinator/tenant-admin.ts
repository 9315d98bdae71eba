// Tenant-scoped key administration through the log (DESIGN §8): rotation and crypto-shred records go to
// the tenant's own partition, so they are ordered with its writes and every node acts at the same point.
import type { Caller } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { KeysRotateEntry, QuotaSetEntry, TenantShredEntry } from '../../secrets/index.ts';
import type { TenantQuota } from '../../view/index.ts';
import { appendAuthority } from './authority-append.ts';
import { awaitEverywhere, partitionOf, type CoordinatorContext } from './coordinator-context.ts';
import { controlPartition } from './control-admin.ts';
import { holdAgainstShred } from './retention-holds.ts';

export interface AdminOutcome {
  readonly tenant: string;
  /** Nodes that confirmed they applied the record (this one included). */
  readonly confirmedNodes: string[];
}

/** Appends one record for the tenant and waits (bounded) for every reachable node to apply it. */
type AdminBody<T> = T extends unknown ? Omit<T, 'rid' | 'endorsements'> : never;

async function appendEverywhere(
  context: CoordinatorContext,
  entry: AdminBody<KeysRotateEntry | TenantShredEntry | QuotaSetEntry>,
  caller: Caller,
): Promise<AdminOutcome> {
  const tenant = entry.tenant;
  const partition = partitionOf(context, tenant);
  const offset = await appendAuthority(context, partition, entry, caller);
  return { tenant, confirmedNodes: await awaitEverywhere(context, partition, offset) };
}

/** Every data partition applied up to its end, so `view.tenants()` is complete. */
async function catchUpAll(context: CoordinatorContext): Promise<void> {
  for (let partition = 0; partition < context.log.partitionCount; partition++) {
    await context.applier.catchUp(partition, context.timeouts.applyMs);
  }
}

export async function rotateTenantKeys(
  context: CoordinatorContext,
  caller: Caller,
  tenant?: string,
): Promise<AdminOutcome[]> {
  await catchUpAll(context);
  const tenants = tenant === undefined ? context.view.tenants() : [tenant];
  if (tenant !== undefined && context.view.isShredded(tenant)) throw new DsvError('DSV_TENANT_SHREDDED');
  const outcomes: AdminOutcome[] = [];
  for (const each of tenants) {
    outcomes.push(
      await appendEverywhere(context, { type: 'keys-rotate', tenant: each, time: Date.now() }, caller),
    );
  }
  return outcomes;
}

export async function shredTenant(
  context: CoordinatorContext,
  tenant: string,
  caller: Caller,
): Promise<AdminOutcome> {
  if (!tenant) throw new DsvError('DSV_INPUT_INVALID', 'Tenant is required');
  // Only a tenant that exists (or holds data) is shredded: shredding a name no tenant has yet would leave the
  // tenant created under it later born shredded. Both views are caught up first, so a tenant just created,
  // or just written to, counts.
  if (context.control) {
    await context.applier.catchUp(controlPartition(context), context.timeouts.applyMs);
    await context.applier.catchUp(partitionOf(context, tenant), context.timeouts.applyMs);
    const known =
      context.control.tenantExists(tenant) ||
      context.view.isShredded(tenant) ||
      context.view.tenants().includes(tenant);
    if (!known) throw new DsvError('DSV_INPUT_INVALID', 'No such tenant');
  }
  // I-C2b: refused before anything is published when a hold is in force; the log decides again on apply.
  const held = await holdAgainstShred(context, tenant);
  if (held) throw retentionHold(held.holdId);
  const partition = partitionOf(context, tenant);
  const offset = await appendAuthority(
    context,
    partition,
    { type: 'tenant-shred', tenant, time: Date.now() },
    caller,
  );
  // A hold placed between the check and the record: every node refused the shred in log order.
  if (!context.view.isShredded(tenant)) throw retentionHold();
  return { tenant, confirmedNodes: await awaitEverywhere(context, partition, offset) };
}

function retentionHold(holdId?: string): DsvError {
  return new DsvError(
    'DSV_RETENTION_HOLD',
    'A retention hold covers this tenant; release it before crypto-shredding',
    holdId === undefined ? undefined : { details: { holdId } },
  );
}

/** Quotas go to the tenant's partition: the secret-count limit is then decided in log order (DESIGN §9). */
export async function setTenantQuota(
  context: CoordinatorContext,
  tenant: string,
  quota: TenantQuota,
  caller: Caller,
): Promise<AdminOutcome> {
  for (const [field, value] of Object.entries(quota)) {
    if (value !== null && (!Number.isInteger(value) || (value as number) < 0)) {
      throw new DsvError('DSV_INPUT_INVALID', `${field} must be a whole number ≥ 0, or null for no limit`);
    }
  }
  return appendEverywhere(context, { type: 'quota-set', tenant, time: Date.now(), ...quota }, caller);
}
