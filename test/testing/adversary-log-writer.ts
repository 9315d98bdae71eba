// What "a log writer" holds (DESIGN §13.2): the broker address and a Kafka client that can produce to and
// read the topic — its own Kafka user with READ, WRITE and DESCRIBE on the topic, no node file at all. Uses @platformatic/kafka directly, as src/log/kafka does, so nothing
// of DSV's own log adapter (validation, framing) stands between the attacker and the broker.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, ProduceAcks, Producer, type BaseOptions } from '@platformatic/kafka';

export interface LogWriter {
  readonly topic: string;
  /** Produces one record (empty key, as DSV does) to `partition`; returns its offset. */
  append(partition: number, value: Uint8Array | string): Promise<number>;
  /** Deletes the topic and creates one of the same name and partition count, as an operator would. */
  recreateTopic(partitions: number): Promise<void>;
  close(): Promise<void>;
}

/** TLS and SASL of a Kafka client. */
export type KafkaConnection = Pick<BaseOptions, 'tls' | 'sasl'>;

/**
 * `client`: whose Kafka credentials produce (the log writer's own user, or a stolen node's). `operator`: the
 * broker's admin, used by `recreateTopic` only — deleting and creating a topic is an operator's act (or of
 * someone holding those ACLs), which the log-writer user is not granted.
 */
export function openLogWriter(
  bootstrap: readonly string[],
  topic: string,
  access: { readonly client: KafkaConnection; readonly operator?: KafkaConnection },
): LogWriter {
  const base: BaseOptions = {
    ...access.client,
    clientId: `attacker-${randomBytes(3).toString('hex')}`,
    bootstrapBrokers: [...bootstrap],
    retries: 5,
    retryDelay: 300,
    connectTimeout: 3000,
    timeout: 10_000,
  };
  // Not idempotent: an attacker needs no producer id, just produce rights on the topic.
  let producer = new Producer({ ...base, acks: ProduceAcks.ALL, autocreateTopics: false });
  const admin = new Admin({ ...base, ...access.operator, clientId: `${base.clientId}-admin` });
  return {
    topic,
    async append(partition, value) {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
      let lastError: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const result = await producer.send({
            messages: [{ topic, partition, key: Buffer.alloc(0), value: bytes }],
          });
          const offset = result.offsets?.find((o) => o.partition === partition)?.offset;
          if (offset === undefined) throw new Error('the broker answered without an offset');
          return Number(offset);
        } catch (error) {
          lastError = error;
          // A recreated topic: the producer's metadata is stale; a fresh one finds the new leaders.
          await producer.close().catch(() => undefined);
          producer = new Producer({ ...base, acks: ProduceAcks.ALL, autocreateTopics: false });
          await sleep(500);
        }
      }
      throw new Error(`the log writer could not append to ${topic}/${partition}`, { cause: lastError });
    },
    async recreateTopic(partitions) {
      await admin.deleteTopics({ topics: [topic] });
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await admin.createTopics({
            topics: [topic],
            partitions,
            replicas: 1,
            // The same settings DSV checks at start, so nothing but the topic's identity differs.
            configs: [
              { name: 'min.insync.replicas', value: '1' },
              { name: 'unclean.leader.election.enable', value: 'false' },
              { name: 'max.message.bytes', value: String(16 * 1024 * 1024 + 0x10000 + 4096) },
              { name: 'retention.ms', value: '-1' },
              { name: 'retention.bytes', value: '-1' },
              { name: 'cleanup.policy', value: 'delete' },
            ],
          });
          break;
        } catch (error) {
          // The deletion may still be in progress (TOPIC_ALREADY_EXISTS): try again.
          if (Date.now() > deadline) throw error;
          await sleep(500);
        }
      }
      // Wait for leaders of the new topic.
      for (;;) {
        try {
          const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
          const found = metadata.topics.get(topic);
          if (found && found.partitionsCount === partitions && found.partitions.every((p) => p.leader >= 0)) {
            return;
          }
        } catch {
          // not yet known
        }
        if (Date.now() > deadline) throw new Error(`no leaders for the recreated topic ${topic}`);
        await sleep(200);
      }
    },
    async close() {
      await Promise.allSettled([producer.close(), admin.close()]);
    },
  };
}

/** A record a node of today's code would write: plain JSON. */
export const plainRecord = (body: object): Uint8Array => new TextEncoder().encode(JSON.stringify(body));

/**
 * An envelope in the shape of the trust-boundaries note (§2) — "DSV2", signer, nonce, ciphertext, tag,
 * signature — naming `signer` but made without its key or the log key: what a log writer can forge.
 */
export function forgedEnvelope(signer: string, body: object): Uint8Array {
  const signerBytes = Buffer.from(signer, 'utf8');
  const ciphertext = Buffer.from(JSON.stringify(body), 'utf8'); // not encrypted: the attacker has no key
  return Buffer.concat([
    Buffer.from('DSV2', 'ascii'),
    Buffer.from([signerBytes.length]),
    signerBytes,
    randomBytes(12),
    ciphertext,
    randomBytes(16),
    randomBytes(64),
  ]);
}
