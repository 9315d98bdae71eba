// A SASL_SSL local broker (SCRAM-SHA-512 over TLS from the cluster CA, StandardAuthorizer with ACLs): a node's
// own user connects and uses the DSV topic; no credentials, wrong credentials, or another topic are refused.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Admin, Producer, type BaseOptions } from '@platformatic/kafka';
import { createClusterCa, issueNodeCertificate } from '../../node/tls/cluster-ca.ts';
import { KafkaCommitLog } from './kafka-commit-log.ts';
import { startLocalKafka, type LocalKafka } from './local-kafka.ts';

const password = randomBytes(16).toString('hex');
let kafka: LocalKafka | undefined;
let caPem = '';

before(async () => {
  const ca = await createClusterCa('dsv-kafka-test');
  caPem = ca.certPem;
  kafka = await startLocalKafka({
    brokers: 1,
    security: {
      caPem,
      issueCertificate: (name) => issueNodeCertificate(ca, name),
      users: [{ name: 'node-0', password }],
      topicPrefix: 'dsv-',
    },
    log: (line) => process.stderr.write(`${line}\n`),
  });
});
after(async () => {
  await kafka?.stop();
});

const bootstrap = (): string[] => kafka?.bootstrap ?? [];
const node0 = () => ({
  tls: { ca: caPem },
  sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'node-0', password },
});

/** One produce with these connection options; resolves to the error it failed with (or undefined). */
async function produceFails(topic: string, connection: Pick<BaseOptions, 'tls' | 'sasl'>): Promise<unknown> {
  const producer = new Producer({
    ...connection,
    clientId: 'dsv-security-probe',
    bootstrapBrokers: bootstrap(),
    retries: 0,
    timeout: 5000,
    connectTimeout: 3000,
    autocreateTopics: false,
  });
  try {
    await producer.send({ messages: [{ topic, partition: 0, value: Buffer.from('forged') }] });
    return undefined;
  } catch (error) {
    return error ?? new Error('rejected');
  } finally {
    await producer.close().catch(() => undefined);
  }
}

void describe('Kafka over SASL_SSL with ACLs', { timeout: 300_000 }, () => {
  const topic = `dsv-secure-${randomUUID()}`;

  void it('a node connects with its own SCRAM user over TLS, creates the topic, appends and reads', async () => {
    const log = await KafkaCommitLog.open({
      bootstrap: bootstrap(),
      topic,
      partitionCount: 2,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      clientId: 'dsv-node-0',
      ...node0(),
    });
    try {
      const { offset } = await log.append(0, 't', new Uint8Array([1, 2, 3]));
      const [record] = await log.read(0, offset, { maxRecords: 1, maxWaitMs: 5000 });
      assert.deepEqual([...(record?.value ?? [])], [1, 2, 3]);
    } finally {
      await log.close();
    }
  });

  void it('without credentials, with a wrong password, or in plaintext, the broker refuses to produce', async () => {
    assert.ok(await produceFails(topic, { tls: { ca: caPem } }), 'TLS without SASL');
    const wrong = await produceFails(topic, {
      tls: { ca: caPem },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'node-0', password: 'wrong-password' },
    });
    assert.ok(wrong, 'wrong password');
    assert.ok(
      await produceFails(topic, {
        tls: { ca: caPem },
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'nobody', password },
      }),
      'unknown user',
    );
    assert.ok(await produceFails(topic, {}), 'plaintext');
    // The node's own user is allowed on its topic, and nowhere else (ACLs by prefix).
    assert.equal(await produceFails(topic, node0()), undefined, 'node-0 may produce to the DSV topic');
    const admin = new Admin({
      ...kafka?.adminClient,
      clientId: 'dsv-test-admin',
      bootstrapBrokers: bootstrap(),
    });
    try {
      await admin.createTopics({ topics: ['other-topic'], partitions: 1, replicas: 1 });
    } finally {
      await admin.close();
    }
    assert.equal(await produceFails('other-topic', kafka?.adminClient ?? {}), undefined, 'the topic exists');
    const refused = await produceFails('other-topic', node0());
    assert.match(
      String((refused as Error).message) + JSON.stringify(refused),
      /AUTHORIZ|not authorized|unknown/i,
    );
  });
});
