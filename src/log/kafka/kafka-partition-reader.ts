// Reads a partition from an offset with low-level Fetch requests: manual assignment, no consumer group, no
// offset commits — every node keeps its own applied offsets in SQLite (DESIGN §5, I-V2).
import {
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  type BaseOptions,
  type RecordsBatch,
} from '@platformatic/kafka';
import type { LogIdentity, LogRecord } from '../commit-log.ts';
import { kafkaErrorId, logUnavailable } from './kafka-errors.ts';
import { framingConsistent } from './record-framing.ts';

/** Upper bound of one broker-side long-poll; longer waits loop, since the client times a request out. */
const FETCH_SLICE_MS = 5_000;
const PARTITION_MAX_BYTES = 1024 * 1024;
/**
 * Data-control batches (transaction markers) carry no records of ours, but take offsets: each is read as an
 * empty record (an undecodable no-op, I-L6), so that offsets stay dense (I-L1) and a node's applied offset
 * reaches the partition's end even when a log writer's marker is the last thing in it.
 */
const IS_CONTROL_BATCH = 0b10_0000;
/** The batch's timestamps are the broker's LogAppendTime (its maxTimestamp), not the producer's. */
const LOG_APPEND_TIME_BATCH = 0b1000;

export interface FetchResult {
  readonly records: LogRecord[];
  /** The partition's high watermark as of this fetch. */
  readonly highWatermark: number;
  /** The offset is past the partition's end (OFFSET_OUT_OF_RANGE). */
  readonly outOfRange: boolean;
}

/**
 * The records of one batch, one per offset from its `firstOffset` to `firstOffset + lastOffsetDelta` — the
 * header the broker assigned and checked. A record's own `offsetDelta` is the producer's bytes, which the
 * broker does not check: a record whose delta is not its position is read as an empty record at its
 * position (an undecodable no-op, I-L6), never at the offset it claims. One claiming 1,000 made every node
 * skip the records in between, or apply past the end of the log; a negative one hid itself (the Kafka red
 * team's round 2). A control batch (a transaction marker) has no records of ours: every offset it takes is
 * an empty record, so offsets stay dense (I-L1) and applied offsets reach the end of the partition. So is
 * every record of a batch that is not `readable` (its parse does not fill its framing, record-framing.ts).
 */
export function recordsOfBatch(partition: number, batch: RecordsBatch, readable = true): LogRecord[] {
  // LogAppendTime: every record of the batch has the broker's time, which is the batch's maxTimestamp.
  const appendTime =
    (batch.attributes & LOG_APPEND_TIME_BATCH) !== 0 ? Number(batch.maxTimestamp) : undefined;
  const control = (batch.attributes & IS_CONTROL_BATCH) !== 0;
  const records: LogRecord[] = [];
  for (let position = 0; position <= batch.lastOffsetDelta; position++) {
    const offset = Number(batch.firstOffset + BigInt(position));
    const record = control || !readable ? undefined : batch.records[position];
    if (record === undefined || record.offsetDelta !== position) {
      const timestamp = appendTime ?? Number(batch.maxTimestamp);
      records.push({ partition, offset, key: '', value: new Uint8Array(0), timestamp });
      continue;
    }
    records.push({
      partition,
      offset,
      key: record.key === null ? '' : record.key.toString('utf8'),
      // A copy: the caller may mutate it without touching anything shared (I-L3).
      value: record.value === null ? new Uint8Array(0) : new Uint8Array(record.value),
      timestamp: appendTime ?? Number(batch.firstTimestamp + record.timestampDelta),
    });
  }
  return records;
}

/**
 * The records of one Fetch answer a node believes, from `fromOffset` on: those of its first batch only. The
 * broker starts an answer at a batch it framed, but the client reads each next batch from wherever its parse
 * of the previous one ended, which a log writer's bytes can move (record-framing.ts: a fake batch, with
 * offsets of its choosing, after its own; the Kafka red team's rounds 3 and 4). The next fetch starts after
 * this batch, at a boundary the broker frames again.
 */
export function recordsOfAnswer(
  partition: number,
  batches: readonly RecordsBatch[],
  fromOffset: number,
  maxRecords: number,
): LogRecord[] {
  const [batch] = batches;
  if (batch === undefined) return [];
  // A batch can start before the requested offset; the port returns from `fromOffset` on, densely.
  return recordsOfBatch(partition, batch, framingConsistent(batch))
    .filter((record) => record.offset >= fromOffset)
    .slice(0, maxRecords);
}

/**
 * A pool of consumers used only for Fetch and ListOffsets. One fetch at a time per consumer keeps its
 * incremental fetch session (KIP-227) consistent; concurrent reads each take their own consumer.
 */
export class KafkaPartitionReader {
  readonly #topic: string;
  readonly #topicId: string;
  readonly #clientOptions: BaseOptions;
  readonly #idle: Consumer[] = [];
  readonly #all = new Set<Consumer>();
  #closed = false;

  constructor(topic: string, topicId: string, clientOptions: BaseOptions) {
    this.#topic = topic;
    this.#topicId = topicId;
    this.#clientOptions = clientOptions;
  }

  /** One Fetch request of at most `waitMs` (≤ FETCH_SLICE_MS) broker-side wait. */
  async fetch(
    partition: number,
    fromOffset: number,
    waitMs: number,
    maxRecords: number,
  ): Promise<FetchResult> {
    const consumer = this.#take();
    try {
      const response = await consumer.fetch({
        node: -1, // the library picks the partition leader from metadata (topic tracked below)
        topics: [
          {
            topicId: this.#topicId,
            partitions: [
              {
                partition,
                fetchOffset: BigInt(fromOffset),
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
                partitionMaxBytes: PARTITION_MAX_BYTES,
              },
            ],
          },
        ],
        maxWaitTime: Math.min(Math.max(0, Math.round(waitMs)), FETCH_SLICE_MS),
        minBytes: 1,
        maxBytes: 4 * PARTITION_MAX_BYTES,
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      });
      const answer = response.responses
        .flatMap((t) => t.partitions)
        .find((p) => p.partitionIndex === partition);
      if (!answer) return { records: [], highWatermark: -1, outOfRange: false };
      const records = recordsOfAnswer(partition, answer.records ?? [], fromOffset, maxRecords);
      return { records, highWatermark: Number(answer.highWatermark), outOfRange: false };
    } catch (error) {
      if (kafkaErrorId(error, 'OFFSET_OUT_OF_RANGE'))
        return { records: [], highWatermark: -1, outOfRange: true };
      throw logUnavailable(`reading partition ${partition}`, error);
    } finally {
      this.#give(consumer);
    }
  }

  /** The high watermark: the offset the next acknowledged record gets. */
  endOffset(partition: number): Promise<number> {
    return this.#listOffset(partition, ListOffsetTimestamps.LATEST, 'end');
  }

  /** The partition's first offset still stored (above 0 once records were deleted from its start). */
  startOffset(partition: number): Promise<number> {
    return this.#listOffset(partition, ListOffsetTimestamps.EARLIEST, 'start');
  }

  async #listOffset(partition: number, timestamp: bigint, what: string): Promise<number> {
    const consumer = this.#take();
    try {
      const offsets = await consumer.listOffsets({
        topics: [this.#topic],
        partitions: { [this.#topic]: [partition] },
        timestamp,
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      });
      const offset = offsets.get(this.#topic)?.[partition];
      if (offset === undefined) throw new Error('no offset in the ListOffsets answer');
      return Number(offset);
    } catch (error) {
      throw logUnavailable(`reading the ${what} offset of partition ${partition}`, error);
    } finally {
      this.#give(consumer);
    }
  }

  /** The cluster id and the topic's id as the brokers report them now (a fresh Metadata request). */
  async identity(): Promise<LogIdentity> {
    const consumer = this.#take();
    try {
      const metadata = await consumer.metadata({ topics: [this.#topic], forceUpdate: true });
      const topic = metadata.topics.get(this.#topic);
      if (topic === undefined) throw new Error(`topic '${this.#topic}' not in the Metadata answer`);
      return { clusterId: metadata.id, topicId: topic.id };
    } catch (error) {
      throw logUnavailable(`reading the identity of topic '${this.#topic}'`, error);
    } finally {
      this.#give(consumer);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(all.map((c) => c.close(true).catch(() => undefined)));
  }

  #take(): Consumer {
    const reused = this.#idle.pop();
    if (reused) return reused;
    const consumer = new Consumer({
      ...this.#clientOptions,
      // Required by the client, never used: this consumer never joins a group nor commits offsets.
      groupId: `${this.#clientOptions.clientId}-unused-group`,
      timeout: FETCH_SLICE_MS + 10_000,
    });
    consumer.topics.track(this.#topic);
    this.#all.add(consumer);
    return consumer;
  }

  #give(consumer: Consumer): void {
    if (this.#closed || !this.#all.has(consumer)) return;
    this.#idle.push(consumer);
  }
}
