// The audit context's port: where audit records go. Durable before `append` resolves (I-A1).
import type { AuditReceipt, AuditRecordInput } from './audit-record.ts';

export interface AuditSink {
  /**
   * Appends one record to the node's chain and resolves once it is durable, with its seq and hash.
   * Appends are serialized: the chain is linear in the order the records were accepted.
   * Rejects DSV_AUDIT_UNAVAILABLE when the record could not be made durable (closed sink, I/O failure —
   * the sink then refuses every later append until reopened) and DSV_INPUT_INVALID for a malformed record.
   */
  append(record: AuditRecordInput): Promise<AuditReceipt>;
  /** Finishes queued appends, then releases the storage. Idempotent; later appends reject. */
  close(): Promise<void>;
}
