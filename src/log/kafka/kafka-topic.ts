// Start-up check of the log topic: create it when missing, then verify partitions, replication and the
// durability settings that I-L2 (acknowledged ⇒ durable) relies on; a mismatch is DSV_LOG_MISCONFIGURED.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes, type Admin } from '@platformatic/kafka';
import { isDsvError } from '../../errors/index.ts';
import { kafkaErrorId, logMisconfigured, logUnavailable } from './kafka-errors.ts';

const TIMESTAMP_TYPE = 'message.timestamp.type';
const LOG_APPEND_TIME = 'LogAppendTime';
const COMPRESSION_TYPE = 'compression.type';
const UNCOMPRESSED = 'uncompressed';

/**
 * Settings a node makes the topic have (on creation, and by altering an older topic) and then checks, with why:
 * - log time is the broker's append time, never the producer's (I-X4);
 * - the broker stores batches uncompressed, so it decompresses and rewrites what any producer sent compressed:
 *   nodes then never decode a compressed batch a log writer crafted (one the broker's decoder accepts and the
 *   nodes' refuses wedged a partition on every node; a small zstd batch inflated to 200 MB in every node) and
 *   the broker's max.message.bytes bounds the bytes nodes fetch (I-L6: a log writer's bytes are no-ops).
 */
const REQUIRED_SETTINGS: ReadonlyArray<readonly [name: string, value: string, why: string]> = [
  [TIMESTAMP_TYPE, LOG_APPEND_TIME, 'log time comes from the log, I-X4'],
  [COMPRESSION_TYPE, UNCOMPRESSED, 'nodes never decode a batch a producer compressed, I-L6'],
];

export interface KafkaTopicSpec {
  readonly topic: string;
  readonly partitionCount: number;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /** Largest record batch the topic must accept (max.message.bytes). */
  readonly maxMessageBytes: number;
}

/** Returns the topic's id once every partition has a leader. */
export async function ensureTopic(admin: Admin, spec: KafkaTopicSpec, create: boolean): Promise<string> {
  const problems = checkSpec(spec);
  if (problems.length > 0) throw logMisconfigured(spec.topic, problems);
  let exists: boolean;
  try {
    exists = (await admin.listTopics()).includes(spec.topic);
  } catch (error) {
    throw logUnavailable('listing topics', error);
  }
  if (!exists) {
    if (!create) throw logMisconfigured(spec.topic, ['the topic does not exist (and create is off)']);
    await createTopic(admin, spec);
  }
  const topicId = await waitForLeaders(admin, spec);
  await ensureRequiredSettings(admin, spec);
  await verifyConfigs(admin, spec);
  return topicId;
}

function checkSpec(spec: KafkaTopicSpec): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(spec.partitionCount) || spec.partitionCount < 1) problems.push('partitionCount < 1');
  if (!Number.isInteger(spec.replicationFactor) || spec.replicationFactor < 1) {
    problems.push('replicationFactor < 1');
  }
  if (
    !Number.isInteger(spec.minInsyncReplicas) ||
    spec.minInsyncReplicas < 1 ||
    spec.minInsyncReplicas > spec.replicationFactor
  ) {
    problems.push(`minInsyncReplicas must be 1…replicationFactor (${spec.replicationFactor})`);
  }
  return problems;
}

async function createTopic(admin: Admin, spec: KafkaTopicSpec): Promise<void> {
  try {
    await admin.createTopics({
      topics: [spec.topic],
      partitions: spec.partitionCount,
      replicas: spec.replicationFactor,
      configs: [
        { name: 'min.insync.replicas', value: String(spec.minInsyncReplicas) },
        { name: 'unclean.leader.election.enable', value: 'false' },
        { name: 'max.message.bytes', value: String(spec.maxMessageBytes) },
        // The log is the system of record (I-V1: views rebuild from it): never delete by time or size.
        { name: 'retention.ms', value: '-1' },
        { name: 'retention.bytes', value: '-1' },
        { name: 'cleanup.policy', value: 'delete' },
        // Record time is the broker's append time (I-X4); batches are stored uncompressed (I-L6).
        ...REQUIRED_SETTINGS.map(([name, value]) => ({ name, value })),
      ],
    });
  } catch (error) {
    if (kafkaErrorId(error, 'TOPIC_ALREADY_EXISTS')) return; // another node created it first
    if (kafkaErrorId(error, 'INVALID_REPLICATION_FACTOR')) {
      throw logMisconfigured(spec.topic, [
        `replication factor ${spec.replicationFactor} is more than the brokers available`,
      ]);
    }
    if (kafkaErrorId(error, 'INVALID_CONFIG', 'POLICY_VIOLATION', 'INVALID_PARTITIONS')) {
      throw logMisconfigured(spec.topic, [`the broker refused to create it (${firstLine(error)})`]);
    }
    throw logUnavailable(`creating topic '${spec.topic}'`, error);
  }
}

/** A freshly created topic has no leaders for a moment; appends would only retry against that. */
async function waitForLeaders(admin: Admin, spec: KafkaTopicSpec): Promise<string> {
  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics: [spec.topic], forceUpdate: true });
      const topic = metadata.topics.get(spec.topic);
      if (topic) {
        const problems: string[] = [];
        if (topic.partitionsCount !== spec.partitionCount) {
          problems.push(`it has ${topic.partitionsCount} partitions, expected ${spec.partitionCount}`);
        }
        const replicas = new Set(topic.partitions.map((p) => p.replicas.length));
        if (replicas.size !== 1 || !replicas.has(spec.replicationFactor)) {
          problems.push(
            `replication factor is ${[...replicas].join('/')}, expected ${spec.replicationFactor}`,
          );
        }
        if (problems.length > 0) throw logMisconfigured(spec.topic, problems);
        if (topic.partitions.every((p) => p.leader >= 0)) return topic.id;
      }
    } catch (error) {
      if (isDsvError(error)) throw error;
      lastError = error; // not yet known or no leader yet: look again
    }
    if (Date.now() > deadline) throw logUnavailable(`waiting for leaders of '${spec.topic}'`, lastError);
    await sleep(200);
  }
}

async function describeTopicConfigs(
  admin: Admin,
  topic: string,
): Promise<Map<string, string | null | undefined>> {
  try {
    const [description] = await admin.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
    });
    return new Map((description?.configs ?? []).map((c) => [c.name, c.value]));
  } catch (error) {
    throw logUnavailable(`describing topic '${topic}'`, error);
  }
}

/**
 * A topic created before DSV asked for a required setting (or by hand) is altered to it — records appended
 * from then on follow it; older ones stay as they were stored. When the broker refuses (no ALTER_CONFIGS
 * permission), start-up fails with DSV_LOG_MISCONFIGURED naming the setting.
 */
async function ensureRequiredSettings(admin: Admin, spec: KafkaTopicSpec): Promise<void> {
  const configs = await describeTopicConfigs(admin, spec.topic);
  const missing = REQUIRED_SETTINGS.filter(([name, value]) => configs.get(name) !== value);
  if (missing.length === 0) return;
  try {
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: spec.topic,
          configs: missing.map(([name, value]) => ({
            name,
            configOperation: IncrementalAlterConfigOperationTypes.SET,
            value,
          })),
        },
      ],
    });
  } catch (error) {
    throw logMisconfigured(
      spec.topic,
      missing.map(
        ([name, value]) =>
          `${name} is ${configs.get(name) ?? 'unset'}, expected ${value}, and altering it failed ` +
          `(${firstLine(error)}); set it with kafka-configs --alter --add-config ${name}=${value}`,
      ),
    );
  }
  // The change reaches describe-configs once the controller has propagated it: wait (bounded) for it.
  for (let attempt = 0; attempt < 40; attempt++) {
    const now = await describeTopicConfigs(admin, spec.topic);
    if (missing.every(([name, value]) => now.get(name) === value)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function verifyConfigs(admin: Admin, spec: KafkaTopicSpec): Promise<void> {
  const configs = await describeTopicConfigs(admin, spec.topic);
  const problems: string[] = [];
  for (const [name, value, why] of REQUIRED_SETTINGS) {
    if (configs.get(name) !== value) problems.push(`${name} must be ${value} (${why})`);
  }
  const minIsr = configs.get('min.insync.replicas');
  if (minIsr !== String(spec.minInsyncReplicas)) {
    problems.push(`min.insync.replicas is ${minIsr ?? 'unset'}, expected ${spec.minInsyncReplicas}`);
  }
  if (configs.get('unclean.leader.election.enable') !== 'false') {
    problems.push('unclean.leader.election.enable must be false (it can drop acknowledged records, I-L2)');
  }
  const maxMessage = Number(configs.get('max.message.bytes') ?? 0);
  if (maxMessage < spec.maxMessageBytes) {
    problems.push(`max.message.bytes is ${maxMessage}, expected at least ${spec.maxMessageBytes}`);
  }
  if (problems.length > 0) throw logMisconfigured(spec.topic, problems);
}

function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}
