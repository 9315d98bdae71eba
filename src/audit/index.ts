// audit — the tamper-evident audit trail: every request's record, hash-chained and durable before any
// response carrying secret material is sent (I-A1). See README.md.
export {
  AUDIT_FORMAT,
  GENESIS_HASH,
  canonicalJson,
  hashRecord,
  isAuditTarget,
  outcomeOf,
  type AuditOutcome,
  type AuditReceipt,
  type AuditRecord,
  type AuditRecordInput,
} from './audit-record.ts';
export type { AuditSink } from './audit-sink.ts';
export { AuditTrailFollower, auditTrailFollower, type TrailStatus } from './trail-follower.ts';
export { JsonlAuditSink, type JsonlAuditSinkOptions } from './jsonl/jsonl-audit-sink.ts';
export type { RecoveredTail } from './jsonl/audit-segments.ts';
export { AuditPathHasher, encodePath } from './audit-path-hasher.ts';
export {
  AUDIT_CHAIN_KEY_FILE,
  AUDIT_KEY_FILE,
  loadOrCreateAuditChainKey,
  loadOrCreateAuditSecret,
  readAuditChainKey,
  readAuditSecret,
} from './audit-secret.ts';
export {
  verifyAuditTrail,
  type AuditAnchor,
  type AuditTrailVerification,
  type VerifyAuditTrailOptions,
} from './verify-audit-trail.ts';
export type { BrokenLink, BrokenLinkReason } from './chain-check.ts';
export {
  appendAuditRecord,
  auditedResponse,
  DEFAULT_AUDIT_TIMEOUT_MS,
  type AuditAppendResult,
  type AuditedResponseInput,
} from './audited-response.ts';
export {
  auditRequestId,
  defaultClassify,
  registerAudit,
  REQUEST_ID_HEADER,
  type RegisterAuditOptions,
} from './fastify-audit.ts';
export {
  auditSubjectOf,
  noteAuditSubject,
  type AuditCaller,
  type AuditClassification,
  type AuditSubject,
} from './audit-subject.ts';
