// I-T4c: what each node writes to its own audit trail when it applies an approval record, so the tenant's
// audit view on any node shows every approval, every revocation and every break-glass (the operator's).
// The record carries ids only (I-A3): the reason stays in the control view (`dsv approval list`).
import type { AuditRecordInput, AuditSink } from '../audit/index.ts';
import type { ApprovalEntry, ControlEntry, ControlStore } from '../control/index.ts';

const OPERATION: Record<ApprovalEntry['type'], string> = {
  'approval-grant': 'approval.granted',
  'approval-revoke': 'approval.revoked',
  'approval-break-glass': 'approval.break-glass',
};

/** Ids come from record bodies: anything outside the trail's identifier alphabet is replaced, never dropped. */
const ident = (value: string): string => value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);

export function approvalAuditRecord(entry: ApprovalEntry): AuditRecordInput {
  return {
    requestId: `log-${ident(entry.rid)}`,
    tenant: entry.tenant,
    accessor: entry.type === 'approval-break-glass' ? 'operator' : ident(entry.by),
    operation: OPERATION[entry.type],
    target: `approval:${ident(entry.approvalId)}`,
    pathHmac: null,
    outcome: 'ok',
    status: 200,
  };
}

/**
 * The control effects the state machine applies through: the control view first, then, outside the apply
 * transaction, one audit record per approval record (written by the node's periodic flush).
 */
export class ApprovalAuditing {
  readonly #control: ControlStore;
  readonly #pending: ApprovalEntry[] = [];

  constructor(control: ControlStore) {
    this.#control = control;
  }

  apply(entry: ControlEntry, logTime: number): void {
    this.#control.apply(entry, logTime);
    if (entry.type.startsWith('approval-')) this.#pending.push(entry as ApprovalEntry);
  }

  flush(sink: Pick<AuditSink, 'append'>): void {
    for (const entry of this.#pending.splice(0)) {
      void sink.append(approvalAuditRecord(entry)).catch(() => undefined);
    }
  }
}
