// The production commit log (DESIGN §2, §5): one Kafka topic, partitions keyed by tenant plus the control
// partition; an idempotent acks=all producer; reads by low-level Fetch from any offset, without consumer groups.
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, ProduceAcks, Producer, type BaseOptions } from '@platformatic/kafka';
import { DsvError } from '../../errors/index.ts';
import type { AppendResult, CommitLog, LogIdentity, LogRecord, ReadOptions } from '../commit-log.ts';
import { assertOffset, assertPartition, assertReadOptions, encodeRecordKey } from '../log-input.ts';
import { logUnavailable } from './kafka-errors.ts';
import { KafkaPartitionReader, type FetchResult } from './kafka-partition-reader.ts';
import { ProduceBatcher } from './produce-batcher.ts';
import { ensureTopic } from './kafka-topic.ts';

/** Same bound as the embedded log, so both adapters refuse the same appends. */
export const KAFKA_MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** Topic max.message.bytes: the largest value, the largest key and the record batch framing. */
const MAX_MESSAGE_BYTES = KAFKA_MAX_VALUE_BYTES + 0x10000 + 4096;

export interface KafkaSaslOptions {
  readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  readonly username: string;
  readonly password: string;
}

export interface KafkaCommitLogOptions {
  /** `host:port` of one or more brokers. */
  readonly bootstrap: readonly string[];
  readonly topic: string;
  readonly partitionCount: number;
  /** Copies of each partition; 3 in production so one broker can fail (I-L2). */
  readonly replicationFactor: number;
  /** In-sync copies an acks=all append needs; 2 of 3 in production. */
  readonly minInsyncReplicas: number;
  readonly clientId?: string;
  /** Create the topic when it does not exist (default true); an existing one is always verified. */
  readonly create?: boolean;
  /** TLS to the brokers (mutual TLS: include `cert` and `key`). */
  readonly tls?: TlsOptions;
  /** SASL authentication (SCRAM: a user of its own per node); use with `tls` (SASL_SSL), never in the clear. */
  readonly sasl?: KafkaSaslOptions;
  /** How often a failed request is retried before DSV_LOG_UNAVAILABLE (default 5, 300 ms apart). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /** How long the brokers may take to acknowledge an append (acks=all) or admin request; default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Upper bound of one append, retries included (default 30 s); after it the outcome is unknown. */
  readonly appendTimeoutMs?: number;
}

export class KafkaCommitLog implements CommitLog {
  readonly partitionCount: number;
  readonly topic: string;
  #producer: Producer;
  readonly #newProducer: () => Producer;
  #renewing: Promise<void> | undefined;
  readonly #reader: KafkaPartitionReader;
  /** Aborted by close(): ends long-polls with DSV_LOG_UNAVAILABLE. */
  readonly #closed = new AbortController();
  #closing: Promise<void> | undefined;

  readonly #appendTimeoutMs: number;
  /** Appends in flight together share one produce request (group commit). */
  readonly #batcher: ProduceBatcher;

  private constructor(
    topic: string,
    partitionCount: number,
    producer: Producer,
    reader: KafkaPartitionReader,
    appendTimeoutMs: number,
    newProducer: () => Producer,
  ) {
    this.#newProducer = newProducer;
    this.#appendTimeoutMs = appendTimeoutMs;
    this.topic = topic;
    this.partitionCount = partitionCount;
    this.#producer = producer;
    this.#reader = reader;
    this.#batcher = new ProduceBatcher(topic, () => this.#producer, appendTimeoutMs);
  }

  /**
   * Connects, creates the topic if missing (unless `create: false`) and verifies it: partitions, replication
   * factor, min.insync.replicas, unclean leader election off. Throws DSV_LOG_MISCONFIGURED naming what is
   * wrong, or DSV_LOG_UNAVAILABLE when no broker answers.
   */
  static async open(options: KafkaCommitLogOptions): Promise<KafkaCommitLog> {
    const clientId = options.clientId ?? 'dsv';
    const base: BaseOptions = {
      clientId,
      bootstrapBrokers: [...options.bootstrap],
      retries: options.retries ?? 5,
      retryDelay: options.retryDelayMs ?? 300,
      connectTimeout: 3000,
      timeout: options.requestTimeoutMs ?? 10_000,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.sasl === undefined ? {} : { sasl: { ...options.sasl } }),
    };
    const admin = new Admin({ ...base, clientId: `${clientId}-admin` });
    let topicId: string;
    try {
      topicId = await ensureTopic(
        admin,
        {
          topic: options.topic,
          partitionCount: options.partitionCount,
          replicationFactor: options.replicationFactor,
          minInsyncReplicas: options.minInsyncReplicas,
          maxMessageBytes: MAX_MESSAGE_BYTES,
        },
        options.create ?? true,
      );
    } finally {
      await admin.close().catch(() => undefined);
    }
    // Idempotent with acks=all: a retried send is never written twice, and an acknowledged record is on
    // min.insync.replicas brokers (I-L2). The client allows one request in flight, so acks come in order.
    const newProducer = () =>
      new Producer({
        ...base,
        // The client turns retries ≤ 1 of an idempotent producer into "retry forever"; an append must end.
        retries: Math.max(2, options.retries ?? 5),
        clientId: `${clientId}-producer`,
        idempotent: true,
        acks: ProduceAcks.ALL,
        autocreateTopics: false,
      });
    const producer = newProducer();
    const reader = new KafkaPartitionReader(options.topic, topicId, {
      ...base,
      clientId: `${clientId}-reader`,
    });
    await initProducer(producer);
    const appendTimeoutMs = options.appendTimeoutMs ?? 30_000;
    return new KafkaCommitLog(
      options.topic,
      options.partitionCount,
      producer,
      reader,
      appendTimeoutMs,
      newProducer,
    );
  }

  async append(partition: number, key: string, value: Uint8Array): Promise<AppendResult> {
    this.#assertOpen();
    assertPartition(partition, this.partitionCount);
    const keyBytes = encodeRecordKey(key, value, KAFKA_MAX_VALUE_BYTES);
    const copy = Buffer.from(value); // taken now: later changes to the caller's buffer do not count (I-L3)
    // A leader failover can outlast the client's own quick retries; keep trying until the append's deadline.
    // A retry after an ambiguous failure may store the record twice (at-least-once): DSV's state machine
    // ignores a record whose write id it has already applied, so a duplicate changes nothing (I-X1).
    const deadline = performance.now() + this.#appendTimeoutMs;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      try {
        const giveUp = AbortSignal.timeout(Math.ceil(remaining));
        const offset = await untilAborted(this.#batcher.append(partition, keyBytes, copy, giveUp), giveUp);
        return { partition, offset };
      } catch (error) {
        this.#assertOpen();
        lastError = error;
        // After repeated failures (a broker restart can leave the idempotent producer's state wedged), start
        // over with a fresh producer: new producer id, sequences from zero. Safe: appends are at-least-once.
        if (attempt >= 2) await this.#renewProducer();
        const pause = Math.floor(
          Math.min(200 * 2 ** attempt, 1000, Math.max(0, deadline - performance.now())),
        );
        if (pause <= 0) break;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    throw logUnavailable(`appending to partition ${partition}`, lastError);
  }

  /** One renewal at a time; concurrent failing appends wait for it and then retry on the new producer. */
  async #renewProducer(): Promise<void> {
    this.#renewing ??= (async () => {
      const fresh = this.#newProducer();
      if (!(await initProducerQuietly(fresh))) {
        await fresh.close().catch(() => undefined);
        return; // the brokers are still away: keep the old one and try again on the next failure
      }
      const old = this.#producer;
      this.#producer = fresh;
      await old.close().catch(() => undefined);
    })().finally(() => {
      this.#renewing = undefined;
    });
    await this.#renewing;
  }

  async read(partition: number, fromOffset: number, options: ReadOptions): Promise<LogRecord[]> {
    this.#assertOpen();
    assertPartition(partition, this.partitionCount);
    assertOffset(fromOffset);
    assertReadOptions(options);
    const signal =
      options.signal === undefined
        ? this.#closed.signal
        : AbortSignal.any([options.signal, this.#closed.signal]);
    signal.throwIfAborted();
    const deadline = performance.now() + options.maxWaitMs;
    for (;;) {
      const remaining = Math.max(0, deadline - performance.now());
      const fetched = await untilAborted(
        this.#reader.fetch(partition, fromOffset, remaining, options.maxRecords),
        signal,
      );
      if (fetched.records.length > 0) return this.#more(partition, fetched, options.maxRecords, signal);
      const left = deadline - performance.now();
      if (left <= 0) return [];
      if (fetched.outOfRange) {
        // Before the start: records this node has not applied were deleted from the partition (DeleteRecords,
        // retention). Never skipped (I-L1, I-V1): an error, so the applier retries and readiness says stuck.
        const start = await this.#reader.startOffset(partition);
        if (fromOffset < start) {
          throw new DsvError(
            'DSV_LOG_UNAVAILABLE',
            `Partition ${partition} starts at offset ${start}: records from ${fromOffset} were deleted`,
          );
        }
        // Past the end (a caller ahead of the log): the broker answers at once, so wait here instead.
        await sleep(Math.min(left, 250), undefined, { signal }).catch(() => undefined);
      }
      signal.throwIfAborted();
    }
  }

  /**
   * The records of the batches after the first answer's, without waiting, up to `maxRecords` or the high
   * watermark that answer reported: each fetch believes only its first batch (kafka-partition-reader.ts).
   */
  async #more(
    partition: number,
    first: FetchResult,
    maxRecords: number,
    signal: AbortSignal,
  ): Promise<LogRecord[]> {
    const records = [...first.records];
    for (;;) {
      const next = (records.at(-1)?.offset ?? 0) + 1;
      if (records.length >= maxRecords || next >= first.highWatermark) return records;
      // A batch that cannot be read is the next call's error: what was read before it is returned.
      const fetched = await untilAborted(
        this.#reader.fetch(partition, next, 0, maxRecords - records.length),
        signal,
      ).catch(() => undefined);
      if (fetched === undefined || fetched.records.length === 0) return records;
      records.push(...fetched.records);
    }
  }

  async endOffset(partition: number): Promise<number> {
    this.#assertOpen();
    assertPartition(partition, this.partitionCount);
    try {
      return await this.#reader.endOffset(partition);
    } catch (error) {
      this.#assertOpen();
      throw error;
    }
  }

  /** The broker cluster id and the topic id, asked of the brokers on every call (I-L8: a recreated topic shows). */
  async identity(): Promise<LogIdentity> {
    this.#assertOpen();
    try {
      return await this.#reader.identity();
    } catch (error) {
      this.#assertOpen();
      throw error;
    }
  }

  /** Ends long-polls (DSV_LOG_UNAVAILABLE) and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed.abort(new DsvError('DSV_LOG_UNAVAILABLE', 'Commit log is closed'));
    await Promise.all([this.#producer.close().catch(() => undefined), this.#reader.close()]);
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new DsvError('DSV_LOG_UNAVAILABLE', 'Commit log is closed');
  }
}

/**
 * Gets the producer id now, so an opened log is ready to append: right after a cluster starts, brokers
 * refuse InitProducerId for a while (producer-id blocks not yet allocated by the controller).
 */
async function initProducerQuietly(producer: Producer): Promise<boolean> {
  try {
    await producer.initIdempotentProducer({});
    return true;
  } catch {
    return false;
  }
}

async function initProducer(producer: Producer): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await producer.initIdempotentProducer({});
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        await producer.close().catch(() => undefined);
        throw logUnavailable('initialising the idempotent producer', error);
      }
      await sleep(500);
    }
  }
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
