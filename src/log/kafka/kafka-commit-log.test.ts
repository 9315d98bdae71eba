// The Kafka commit log against one real local broker: the shared conformance suite, then what only a
// networked, broker-backed log has to show (topic checks at start-up, broker outage and recovery).
import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import type { CommitLog } from '../commit-log.ts';
import { runCommitLogConformance } from '../testing/conformance.ts';
import { startKafka, type LocalKafka } from '../../../test/support/kafka.ts';
import { KafkaCommitLog } from './kafka-commit-log.ts';

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
