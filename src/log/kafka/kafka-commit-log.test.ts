// The Kafka commit log against one real local broker: the shared conformance suite, then what only a
// networked, broker-backed log has to show (topic checks at start-up, broker outage and recovery).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import { isDsvError, type ErrorCode } from '../../errors/index.ts';
import type { CommitLog } from '../commit-log.ts';
import { runCommitLogConformance } from '../testing/conformance.ts';
import { startKafka, type LocalKafka } from '../../../test/testing/kafka.ts';
import { KafkaCommitLog } from './kafka-commit-log.ts';
import { freePort } from './local-kafka-config.ts';

let kafka: LocalKafka | undefined;
before(async () => {
  kafka = await startKafka({ brokers: 1 });
});
after(async () => {
  await kafka?.stop();
});

function broker(): LocalKafka {
  if (!kafka) throw new Error('the broker did not start');
  return kafka;
}

const topicOf = new WeakMap<CommitLog, string>();
const openTopic = async (topic: string): Promise<KafkaCommitLog> => {
  const log = await KafkaCommitLog.open({
    bootstrap: broker().bootstrap,
    topic,
    partitionCount: 3,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    clientId: 'dsv-conformance',
  });
  topicOf.set(log, topic);
  return log;
};

runCommitLogConformance('KafkaCommitLog', {
  partitionCount: 3,
  open: () => openTopic(`dsv-conformance-${randomUUID()}`),
  async reopen(closed) {
    const topic = topicOf.get(closed);
    if (topic === undefined) throw new Error('reopen of a log this factory did not open');
    return openTopic(topic);
  },
});

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

async function rejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
  messageIncludes?: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isDsvError(error), `expected a DsvError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (messageIncludes !== undefined) assert.match(error.message, new RegExp(messageIncludes));
    return true;
  });
}

void describe('KafkaCommitLog: topic checks at start-up', () => {
  const spec = { partitionCount: 3, replicationFactor: 1, minInsyncReplicas: 1 };

  void it('an existing topic with other partitions or min.insync.replicas is DSV_LOG_MISCONFIGURED', async () => {
    const topic = `dsv-misconfigured-${randomUUID()}`;
    await (await KafkaCommitLog.open({ bootstrap: broker().bootstrap, topic, ...spec })).close();
    const reopen = (changes: Partial<typeof spec>): Promise<KafkaCommitLog> =>
      KafkaCommitLog.open({ bootstrap: broker().bootstrap, topic, ...spec, ...changes });
    await rejectsWith(reopen({ partitionCount: 4 }), 'DSV_LOG_MISCONFIGURED', 'has 3 partitions, expected 4');
    await rejectsWith(
      reopen({ minInsyncReplicas: 2, replicationFactor: 2 }),
      'DSV_LOG_MISCONFIGURED',
      'replication',
    );
    await rejectsWith(reopen({ minInsyncReplicas: 2 }), 'DSV_LOG_MISCONFIGURED', 'minInsyncReplicas must be');
  });

  void it('a topic made elsewhere with other min.insync.replicas and max.message.bytes is DSV_LOG_MISCONFIGURED', async () => {
    const topic = `dsv-foreign-${randomUUID()}`;
    const admin = new Admin({ clientId: 'dsv-test-admin', bootstrapBrokers: broker().bootstrap });
    try {
      await admin.createTopics({
        topics: [topic],
        partitions: 3,
        replicas: 1,
        configs: [{ name: 'min.insync.replicas', value: '2' }],
      });
    } finally {
      await admin.close();
    }
    const open = KafkaCommitLog.open({ bootstrap: broker().bootstrap, topic, ...spec });
    await rejectsWith(
      open,
      'DSV_LOG_MISCONFIGURED',
      'min.insync.replicas is 2, expected 1.*max.message.bytes is',
    );
  });

  void it('I-X4: a CreateTime topic is altered to LogAppendTime; a producer-chosen time never reaches readers', async () => {
    const topic = `dsv-create-time-${randomUUID()}`;
    const admin = new Admin({ clientId: 'dsv-test-admin', bootstrapBrokers: broker().bootstrap });
    try {
      await admin.createTopics({
        topics: [topic],
        partitions: 3,
        replicas: 1,
        configs: [
          { name: 'min.insync.replicas', value: '1' },
          { name: 'max.message.bytes', value: String(32 * 1024 * 1024) },
          { name: 'message.timestamp.type', value: 'CreateTime' },
        ],
      });
    } finally {
      await admin.close();
    }
    const log = await KafkaCommitLog.open({ bootstrap: broker().bootstrap, topic, ...spec });
    const producer = new Producer({ clientId: 'dsv-test-forger', bootstrapBrokers: broker().bootstrap });
    try {
      const future = BigInt(Date.UTC(2100, 0, 1));
      await producer.send({
        messages: [{ topic, partition: 0, value: Buffer.from('forged'), timestamp: future }],
      });
      const [record] = await log.read(0, 0, { maxRecords: 1, maxWaitMs: 5000 });
      assert.ok(record !== undefined);
      assert.ok(
        Math.abs(record.timestamp - Date.now()) < 60_000,
        `broker time, not 2100: ${record.timestamp}`,
      );
    } finally {
      await producer.close();
      await log.close();
    }
  });

  void it('a replication factor above the brokers available is DSV_LOG_MISCONFIGURED, and nothing is created', async () => {
    const topic = `dsv-rf-${randomUUID()}`;
    const open = KafkaCommitLog.open({ bootstrap: broker().bootstrap, topic, ...spec, replicationFactor: 3 });
    await rejectsWith(open, 'DSV_LOG_MISCONFIGURED', 'replication factor 3');
    await rejectsWith(
      KafkaCommitLog.open({ bootstrap: broker().bootstrap, topic, ...spec, create: false }),
      'DSV_LOG_MISCONFIGURED',
      'does not exist',
    );
  });

  void it('no broker answering: open rejects with DSV_LOG_UNAVAILABLE', async () => {
    const closedPort = await freePort();
    const open = KafkaCommitLog.open({
      bootstrap: [`127.0.0.1:${closedPort}`],
      topic: 'dsv-nowhere',
      ...spec,
      retries: 1,
      retryDelayMs: 100,
    });
    await rejectsWith(open, 'DSV_LOG_UNAVAILABLE');
  });
});

void describe('KafkaCommitLog: broker outage', () => {
  void it('I-L2: while the broker is down, calls reject with DSV_LOG_UNAVAILABLE; after a restart the same log appends and every acknowledged record is there', async () => {
    const log = await KafkaCommitLog.open({
      bootstrap: broker().bootstrap,
      topic: `dsv-outage-${randomUUID()}`,
      partitionCount: 2,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      retries: 2,
      retryDelayMs: 200,
    });
    try {
      assert.equal((await log.append(0, 'tenant', bytes('before'))).offset, 0);
      await broker().stopBroker(0);
      await rejectsWith(log.append(0, 'tenant', bytes('during')), 'DSV_LOG_UNAVAILABLE');
      await rejectsWith(log.endOffset(0), 'DSV_LOG_UNAVAILABLE');
      await rejectsWith(log.read(0, 0, { maxRecords: 10, maxWaitMs: 0 }), 'DSV_LOG_UNAVAILABLE');
      await broker().start(0);
      assert.equal(
        (await log.append(0, 'tenant', bytes('after'))).offset,
        1,
        'nothing was published while down',
      );
      assert.equal(await log.endOffset(0), 2);
      const records = await log.read(0, 0, { maxRecords: 10, maxWaitMs: 0 });
      assert.deepEqual(
        records.map((r) => Buffer.from(r.value).toString('utf8')),
        ['before', 'after'],
      );
    } finally {
      await log.close();
    }
  });
});
