// Approvals and a tenant's bootstrap admin through the control partition (I-T4). Each is an authority record
// (k endorsements, a rid applied once) that every endorser judges with `mayMakeRecord` on its own control
// view, so no single node and no root token holder can make one; this file appends and reports.
import { randomUUID } from 'node:crypto';
import { newAccessor, type ApprovalRecord, type ApprovalTerms, type Caller } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import { appendAuthority } from './authority-append.ts';
import { controlPartition } from './control-admin.ts';
import { awaitEverywhere, type CoordinatorContext } from './coordinator-context.ts';

export type ApprovalRequest = ApprovalTerms;

export interface ApprovalOutcome {
  readonly approval: ApprovalRecord;
  /** Nodes that confirmed they applied the record (this one included): the approval is usable there. */
  readonly confirmedNodes: string[];
}

function control(context: CoordinatorContext) {
  if (!context.control) throw new DsvError('DSV_NODE_UNAVAILABLE', 'This node runs no control plane');
  return context.control;
}

async function caughtUp(context: CoordinatorContext): Promise<number> {
  const partition = controlPartition(context);
  await context.applier.catchUp(partition, context.timeouts.applyMs);
  return partition;
}

/** The tenant admin grants a root token a scoped, expiring approval (I-T4). */
export async function grantApproval(
  context: CoordinatorContext,
  request: ApprovalRequest,
  caller: Caller,
): Promise<ApprovalOutcome> {
  const partition = await caughtUp(context);
  const approvalId = randomUUID();
  const offset = await appendAuthority(
    context,
    partition,
    { type: 'approval-grant', approvalId, by: caller.accessor, time: Date.now(), ...request },
    caller,
  );
  const approval = control(context).approval(approvalId);
  if (!approval) throw new DsvError('DSV_INPUT_INVALID', 'The approval was not recorded: unknown tenant');
  return { approval, confirmedNodes: await awaitEverywhere(context, partition, offset) };
}

/** Ends a grant early; break-glass is not the tenant's to end (it runs out by itself). */
export async function revokeApproval(
  context: CoordinatorContext,
  approval: ApprovalRecord,
  caller: Caller,
): Promise<ApprovalOutcome> {
  const partition = await caughtUp(context);
  const offset = await appendAuthority(
    context,
    partition,
    {
      type: 'approval-revoke',
      approvalId: approval.approvalId,
      tenant: approval.tenant,
      by: caller.accessor,
      time: Date.now(),
    },
    caller,
  );
  const revoked = control(context).approval(approval.approvalId);
  if (!revoked || revoked.revokedAt === null) throw new DsvError('DSV_APPROVAL_NOT_FOUND');
  return { approval: revoked, confirmedNodes: await awaitEverywhere(context, partition, offset) };
}

/** The tenant's approvals and break-glass records, as this node applied the control partition (I-T4c). */
export async function listApprovals(context: CoordinatorContext, tenant: string): Promise<ApprovalRecord[]> {
  await caughtUp(context);
  return control(context).approvals(tenant);
}

export async function findApproval(
  context: CoordinatorContext,
  tenant: string,
  approvalId: string,
): Promise<ApprovalRecord | undefined> {
  await caughtUp(context);
  const approval = control(context).approval(approvalId);
  return approval?.tenant === tenant ? approval : undefined;
}

export interface BootstrappedAdmin {
  readonly tenant: string;
  readonly accessor: string;
  readonly confirmedNodes: string[];
}

/**
 * I-T4 bootstrap: root names a tenant's first admin once, from the per-node verifiers of a token the future
 * admin generated itself (`dsv tenant admin-request`): root never sees the token. No creator, so rotating
 * root revokes no tenant's admin; every endorser refuses it once the tenant has one.
 */
export async function bootstrapTenantAdmin(
  context: CoordinatorContext,
  tenant: string,
  verifiers: Readonly<Record<string, string>>,
  displayName: string,
  caller: Caller,
): Promise<BootstrappedAdmin> {
  const partition = await caughtUp(context);
  const store = control(context);
  if (!store.tenantExists(tenant)) throw new DsvError('DSV_INPUT_INVALID', 'No such tenant');
  if (store.tenantHasBootstrap(tenant)) {
    throw new DsvError('DSV_APPROVAL_REQUIRED', "This tenant's admin was named already: root names it once");
  }
  const accessor = newAccessor();
  const offset = await appendAuthority(
    context,
    partition,
    {
      type: 'token-create',
      accessor,
      verifiers,
      creator: null,
      tenant,
      policies: [],
      displayName,
      expiresAt: null,
      time: Date.now(),
    },
    caller,
  );
  const stored = store.tokenByAccessor(accessor);
  // Another bootstrap won the race: the first one in the log is the tenant's admin, this one is a no-op.
  if (!stored?.bootstrap) {
    throw new DsvError('DSV_APPROVAL_REQUIRED', "This tenant's admin was named already: root names it once");
  }
  return { tenant, accessor, confirmedNodes: await awaitEverywhere(context, partition, offset) };
}
