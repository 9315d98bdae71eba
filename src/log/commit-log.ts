// The commit-log port: totally ordered, durable, replayable partitions (DESIGN §5; I-L1..I-L3).

/** One record as stored in a partition. Records are immutable once appended (I-L3). */
export interface LogRecord {
  readonly partition: number;
  /** Dense, 0-based position within the partition (I-L1: total order within a partition). */
  readonly offset: number;
  /** Routing key (the tenant for data partitions); informational for consumers. */
  readonly key: string;
  readonly value: Uint8Array;
  /**
   * When the LOG appended the record, in ms since the epoch (Kafka: LogAppendTime, set by the broker; embedded:
   * its own clock at append, never going backwards within a partition). Non-decreasing within a partition; no
   * producer can choose it (I-X4). 0 for embedded records written before timestamps were stored.
   */
  readonly timestamp: number;
}

/** Which log this is: changes when the log is replaced (a recreated topic, another directory) — I-L8. */
export interface LogIdentity {
  /** Kafka: the broker cluster id; embedded: 'embedded'. */
  readonly clusterId: string;
  /** Kafka: the topic id (a UUID, new for a recreated topic); embedded: the random id kept in the log dir. */
  readonly topicId: string;
}

export interface AppendResult {
  readonly partition: number;
  readonly offset: number;
}

export interface ReadOptions {
  /** Return at most this many records. */
  readonly maxRecords: number;
  /**
   * Long-poll: when no record at or after `fromOffset` exists yet, wait up to this long for one.
   * 0 answers at once.
   */
  readonly maxWaitMs: number;
  /** Ends a long-poll at once: `read` rejects with `signal.reason` (also when already aborted). */
  readonly signal?: AbortSignal;
}

/**
 * Contract details every adapter shares (checked by `runCommitLogConformance`):
 * - an invalid partition (not an integer in 0 … partitionCount-1), offset or option rejects with
 *   DsvError('DSV_INPUT_INVALID'), and so does a key with a lone surrogate (it would not read back equal);
 *   all methods reject, never throw synchronously;
 * - `append` takes the key and value as they are at the call: mutating the caller's buffer afterwards does
 *   not change the record, and mutating a value returned by `read` does not change what is read next (I-L3);
 * - after `close()` (idempotent) every call rejects with DsvError('DSV_LOG_UNAVAILABLE'), and a long-poll in
 *   progress ends with that error.
 */
export interface CommitLog {
  /** Number of partitions, fixed for the life of the log. Partition ids are 0 … partitionCount-1. */
  readonly partitionCount: number;
  /**
   * Appends one record. Resolves only once the record is durable (I-L2: acknowledged ⇒ durable).
   * Rejects with DsvError('DSV_LOG_UNAVAILABLE') when the log cannot take it; then nothing was published
   * that a consumer will ever see … except where the underlying broker cannot tell (a timeout after send),
   * which callers treat as "outcome unknown" and resolve through the state machine. An adapter may also store
   * a record twice when it retries after such an ambiguous failure (at-least-once); consumers must apply
   * records idempotently (DSV's state machine keys every effect by write id).
   */
  append(partition: number, key: string, value: Uint8Array): Promise<AppendResult>;
  /** Reads records in offset order starting at `fromOffset`. An empty array means "nothing yet". */
  read(partition: number, fromOffset: number, options: ReadOptions): Promise<LogRecord[]>;
  /** The offset the next appended record of `partition` will get (the "high watermark"). */
  endOffset(partition: number): Promise<number>;
  /** The identity of the log as the storage reports it now (not cached), for pinning (I-L8). */
  identity(): Promise<LogIdentity>;
  close(): Promise<void>;
}
