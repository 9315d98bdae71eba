// secrets — the secret model and its deterministic state machine (I-X1 same log prefix ⇒ same state,
// I-X2 dense monotonic versions, I-X3 a committed version had ≥ W durable shards).
export {
  assertSecretKey,
  decodeEntry,
  encodeEntry,
  type AbortEntry,
  type AbortReason,
  type CommitEntry,
  type IntentEntry,
  type IntentOp,
  type KeysRotateEntry,
  type QuotaSetEntry,
  type TenantShredEntry,
  type LogEntry,
  type RepairEntry,
  type SecretKey,
  type TickEntry,
  type WriteOpKind,
} from './log-entry.ts';
export {
  SecretStateMachine,
  type KeyEffects,
  type ShardEffects,
  type StateMachineOptions,
} from './state-machine.ts';
