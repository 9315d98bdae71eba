// secrets — the secret model and its deterministic state machine (I-X1 same log prefix ⇒ same state,
// I-X2 dense monotonic versions, I-X3 a committed version had ≥ W durable shards).
export {
  assertSecretKey,
  type AbortEntry,
  type AbortReason,
  type CommitEntry,
  type IntentEntry,
  type IntentOp,
  type KeysRotateEntry,
  type QuotaSetEntry,
  type TenantShredEntry,
  type LogEntry,
  type CommitShard,
  type NodeRevokeEntry,
  type SecretKey,
  type ShareRestoredEntry,
  type SignedEntry,
  type TickEntry,
  type WriteOpKind,
} from './log-entry.ts';
export {
  SecretStateMachine,
  type KeyEffects,
  type ShardEffects,
  type StateMachineOptions,
} from './state-machine.ts';
export { LogCodec, type DecodedRecord, type DecodeRejection } from './log-codec.ts';
export { parseLogEntry } from './log-schema.ts';
export { endorsementDigest, receiptDigest, type ReceiptFields } from './record-digests.ts';
export { isAuthorityRecord, RecordAuthority, type AuthorityParams } from './record-authority.ts';
export { refreshReceiptDigest, type RefreshReceiptFields } from './record-digests.ts';
export type {
  RefreshAbortEntry,
  RefreshAbortReason,
  RefreshCommitEntry,
  RefreshEntry,
  RefreshReceipt,
  RefreshStartEntry,
} from './refresh-entry.ts';
export { DEFAULT_REFRESH_LIMITS, type RefreshLimits } from './refresh-machine.ts';
