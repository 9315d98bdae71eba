// A log writer's batches against one real local broker (the Kafka red team's findings 1–3): what a hostile
// producer may send the topic — compressed batches the broker's decoder takes and the nodes' would refuse, a
// decompression bomb, transaction markers — never stops a node from reading the partition to its end, and
// honest records after them read back (I-L6: a log writer's bytes are counted no-ops; I-L1: dense offsets).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Admin, compressionsAlgorithms, ConfigResourceTypes, Producer } from '@platformatic/kafka';
import { startKafka, type LocalKafka } from '../../../test/testing/kafka.ts';
import { isDsvError } from '../../errors/index.ts';
import type { LogRecord } from '../commit-log.ts';
import { KafkaCommitLog } from './kafka-commit-log.ts';

let kafka: LocalKafka | undefined;
before(async () => {
  kafka = await startKafka({ brokers: 1 });
});
after(async () => {
  await kafka?.stop();
});
const bootstrap = (): string[] => kafka?.bootstrap ?? [];

type Algorithm = 'gzip' | 'snappy' | 'zstd';
type Bytes = Buffer | Uint8Array;
const asBuffer = (data: unknown): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from((data as { buffer: Buffer }).buffer);

/** The xerial framing Kafka's Java clients use for snappy, with bytes after its last chunk. */
const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
/** A zstd skippable frame: a decoder that stops after it decompresses nothing. */
const ZSTD_SKIPPABLE = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 0, 0, 0, 0]);

const CRAFTED: Record<string, [Algorithm, (raw: Buffer, original: (data: Buffer) => Bytes) => Buffer]> = {
  'gzip with trailing bytes': [
    'gzip',
    (raw, original) => Buffer.concat([original(raw), Buffer.from([1, 2, 3])]),
  ],
  'xerial snappy with trailing bytes': [
    'snappy',
    (raw, original) => {
      const chunk = Buffer.from(original(raw));
      const length = Buffer.alloc(4);
      length.writeInt32BE(chunk.length);
      return Buffer.concat([XERIAL, length, chunk, Buffer.from([0, 0])]);
    },
  ],
  'zstd behind a skippable frame': ['zstd', (raw) => Buffer.concat([ZSTD_SKIPPABLE, zstdCompressSync(raw)])],
};

/** Produces `values` as one batch compressed by `craft` (the client's own codec, patched for the send). */
async function sendCrafted(
  topic: string,
  algorithm: Algorithm,
  craft: (raw: Buffer, original: (data: Buffer) => Bytes) => Buffer,
  values: Buffer[],
): Promise<'accepted' | 'refused'> {
  const codec = compressionsAlgorithms[algorithm] as {
    compressSync: (data: unknown) => Bytes;
    compress?: unknown;
  };
  const { compressSync, compress } = codec;
  codec.compressSync = (data) => craft(asBuffer(data), (raw) => compressSync(raw));
  codec.compress = undefined;
  const producer = new Producer({
    clientId: 'dsv-test-log-writer',
    bootstrapBrokers: bootstrap(),
    compression: algorithm,
    retries: 0,
  });
  try {
    await producer.send({ messages: values.map((value) => ({ topic, partition: 0, value })) });
    return 'accepted';
  } catch {
    return 'refused';
  } finally {
    codec.compressSync = compressSync;
    codec.compress = compress;
    await producer.close();
  }
}

/** Every record of partition 0 up to its end, as a node's applier reads them. */
async function readToEnd(log: KafkaCommitLog): Promise<LogRecord[]> {
  const end = await log.endOffset(0);
  const records: LogRecord[] = [];
  while ((records.at(-1)?.offset ?? -1) < end - 1) {
    const next = (records.at(-1)?.offset ?? -1) + 1;
    const batch = await log.read(0, next, { maxRecords: 100, maxWaitMs: 2000 });
    assert.ok(batch.length > 0, `no progress at offset ${next} of ${end}`);
    records.push(...batch);
  }
  return records;
}

/** A one-partition log as nodes open it: the topic created, configured and checked by DSV. */
const openLog = (topic: string): Promise<KafkaCommitLog> =>
  KafkaCommitLog.open({
    bootstrap: bootstrap(),
    topic,
    partitionCount: 1,
    replicationFactor: 1,
    minInsyncReplicas: 1,
  });

const text = (record: LogRecord | undefined): string => Buffer.from(record?.value ?? []).toString('utf8');

describe('KafkaCommitLog: a log writer’s batches', () => {
  it('I-L6: the topic stores batches uncompressed: crafted compressed batches read back as plain records or are refused', async () => {
    const topic = `dsv-hostile-${randomUUID()}`;
    const log = await openLog(topic);
    const admin = new Admin({ clientId: 'dsv-test-admin', bootstrapBrokers: bootstrap() });
    try {
      const [described] = await admin.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
      });
      const compression = described?.configs.find((config) => config.name === 'compression.type');
      assert.equal(compression?.value, 'uncompressed');

      const outcomes: string[] = [];
      for (const [label, [algorithm, craft]] of Object.entries(CRAFTED)) {
        const outcome = await sendCrafted(topic, algorithm, craft, [Buffer.from(`crafted: ${label}`)]);
        outcomes.push(`${label}: ${outcome}`);
        await log.append(0, 'tenant', new Uint8Array(Buffer.from(`honest after ${label}`)));
      }
      // A bomb: 40 MB of zeros in a batch of a few kilobytes. Stored uncompressed, it is over the topic's
      // max.message.bytes, so the broker refuses it instead of handing it to every node.
      const bomb = await sendCrafted(topic, 'zstd', (raw) => zstdCompressSync(raw), [Buffer.alloc(40 << 20)]);
      assert.equal(bomb, 'refused');
      await log.append(0, 'tenant', new Uint8Array(Buffer.from('honest after the bomb')));

      const records = await readToEnd(log);
      const values = records.map(text);
      for (const label of Object.keys(CRAFTED)) assert.ok(values.includes(`honest after ${label}`), label);
      assert.equal(values.at(-1), 'honest after the bomb');
      // What the broker took is there as plain records (it rewrote the batch), never a compressed one.
      for (const outcome of outcomes.filter((line) => line.endsWith('accepted'))) {
        const label = outcome.slice(0, -': accepted'.length);
        assert.ok(values.includes(`crafted: ${label}`), outcome);
      }
      assert.deepEqual(
        records.map((record) => record.offset),
        records.map((_, i) => i),
      );
    } finally {
      await admin.close();
      await log.close();
    }
  });

  it('I-L1, I-L6: a transaction marker takes an offset that reads as an empty record, so a reader reaches the end', async () => {
    const topic = `dsv-markers-${randomUUID()}`;
    const log = await openLog(topic);
    const producer = new Producer({
      clientId: 'dsv-test-log-writer-tx',
      bootstrapBrokers: bootstrap(),
      transactionalId: `dsv-test-${randomUUID()}`,
      idempotent: true,
      acks: -1,
    });
    try {
      await log.append(0, 'tenant', new Uint8Array(Buffer.from('honest before')));
      for (const ending of ['commit', 'abort'] as const) {
        const transaction = await producer.beginTransaction();
        await transaction.send({
          messages: [{ topic, partition: 0, value: Buffer.from(`in a txn (${ending})`) }],
        });
        await (ending === 'commit' ? transaction.commit() : transaction.abort());
      }
      // The marker is now the partition's last offset: a reader must still get there.
      const records = await readToEnd(log);
      assert.deepEqual(
        records.map((record) => record.offset),
        records.map((_, i) => i),
      );
      assert.deepEqual(records.map(text), ['honest before', 'in a txn (commit)', '', 'in a txn (abort)', '']);
      await log.append(0, 'tenant', new Uint8Array(Buffer.from('honest after')));
      assert.equal(text((await readToEnd(log)).at(-1)), 'honest after');
    } finally {
      await producer.close();
      await log.close();
    }
  });

  it('I-L1: records deleted from the start of a partition are an error to a reader behind them, never skipped', async () => {
    const topic = `dsv-deleted-${randomUUID()}`;
    const log = await openLog(topic);
    const admin = new Admin({ clientId: 'dsv-test-admin', bootstrapBrokers: bootstrap() });
    try {
      for (const value of ['a', 'b', 'c']) await log.append(0, 'tenant', new Uint8Array(Buffer.from(value)));
      await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 2n }] }] });
      await assert.rejects(log.read(0, 0, { maxRecords: 10, maxWaitMs: 1000 }), (error: unknown) => {
        assert.ok(isDsvError(error) && error.code === 'DSV_LOG_UNAVAILABLE', String(error));
        assert.match(error.message, /starts at offset 2: records from 0 were deleted/);
        return true;
      });
      // A reader at or past the start still reads; past the end it waits, as before.
      assert.deepEqual((await log.read(0, 2, { maxRecords: 10, maxWaitMs: 1000 })).map(text), ['c']);
      assert.deepEqual(await log.read(0, 3, { maxRecords: 10, maxWaitMs: 300 }), []);
    } finally {
      await admin.close();
      await log.close();
    }
  });
});
