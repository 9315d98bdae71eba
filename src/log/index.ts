// log — the commit-log context: the port, its adapters' factory type, and the conformance suite entry.
// Invariants: I-L1 total order within a partition; I-L2 acknowledged ⇒ durable; I-L3 records immutable.
export type { AppendResult, CommitLog, LogIdentity, LogRecord, ReadOptions } from './commit-log.ts';
export { checkLogPin, LogPin } from './log-pin.ts';
export { EmbeddedCommitLog, type EmbeddedCommitLogOptions } from './embedded/embedded-commit-log.ts';
export { runCommitLogConformance, type CommitLogFactory } from './testing/conformance.ts';
export {
  KafkaCommitLog,
  KAFKA_MAX_VALUE_BYTES,
  type KafkaCommitLogOptions,
} from './kafka/kafka-commit-log.ts';
export { startLocalKafka, type LocalKafka, type StartLocalKafkaOptions } from './kafka/local-kafka.ts';
export { ensureKafkaArtifacts, KAFKA_VERSION } from './kafka/kafka-artifacts.ts';
