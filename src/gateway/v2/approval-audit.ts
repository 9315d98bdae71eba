// The tenant's audit view of admin separation on this node (I-T4c): every record of the tenant whose
// operation is an approval's (granted, revoked, listed, break-glass applied) or whose target names one (an
// access under an approval or break-glass). Records carry no value and no path, only ids (I-A3).
import { auditTrailFollower, type AuditRecord } from '../../audit/index.ts';
import { DsvError } from '../../errors/index.ts';

export interface ApprovalAuditContext {
  /** `dir`: the node's audit directory. */
  readonly audit?: { readonly dir?: string };
}

const MAX_RECORDS = 500;

const concernsApprovals = (record: AuditRecord): boolean =>
  record.operation.startsWith('approval.') || (record.target ?? '').startsWith('approval:');

export async function approvalAuditView(context: ApprovalAuditContext, tenant: string) {
  const dir = context.audit?.dir;
  if (dir === undefined) throw new DsvError('DSV_ROUTE_NOT_FOUND', 'This node keeps no audit trail');
  const trail = auditTrailFollower(dir);
  const verification = await trail.status();
  const { records: found } = await trail.search(
    'approval',
    (record) => record.tenant === tenant && concernsApprovals(record),
    MAX_RECORDS,
  );
  return {
    tenant,
    node: verification.node,
    verified: verification.firstBrokenLink === undefined,
    records: found.map((record) => ({
      seq: record.seq,
      time: record.time,
      operation: record.operation,
      target: record.target ?? null,
      accessor: record.accessor,
      outcome: record.outcome,
      status: record.status,
      requestId: record.requestId,
    })),
  };
}
