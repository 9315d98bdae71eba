// A real Apache Kafka (KRaft) cluster of 1 or 3 brokers on loopback, for tests and local multi-process runs.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DsvError } from '../../errors/index.ts';
import { ensureKafkaArtifacts } from './kafka-artifacts.ts';
import {
  AclOperations,
  AclPermissionTypes,
  type AclOperationValue,
  Admin,
  ResourcePatternTypes,
  ResourceTypes,
  type BaseOptions,
} from '@platformatic/kafka';
import { LocalKafkaBroker, type LocalBrokerSecurity } from './local-kafka-broker.ts';
import { freePort, type LocalBrokerSlot } from './local-kafka-config.ts';

/** A SASL_SSL cluster (SCRAM-SHA-512 over TLS, ACLs): what `dsv dev --kafka` and the security tests use. */
export interface LocalKafkaSecurityOptions {
  /** PEM of the cluster CA (`dsv cluster init`'s `ca/ca.crt`): clients verify the brokers against it. */
  readonly caPem: string;
  /** Issues a broker's certificate from that CA (SANs 127.0.0.1 and localhost). */
  issueCertificate(name: string): Promise<{ readonly certPem: string; readonly keyPem: string }>;
  /**
   * One SCRAM user per DSV node; each gets the DSV ACLs on topics starting with `topicPrefix`, or only
   * `operations` when given (e.g. READ, WRITE, DESCRIBE: a client that may produce and consume, nothing else).
   */
  readonly users: readonly {
    readonly name: string;
    readonly password: string;
    readonly operations?: readonly AclOperationValue[];
  }[];
  readonly topicPrefix: string;
}

/** The operations a DSV node needs on its topic (see README "ACLs"). */
export const DSV_TOPIC_OPERATIONS = [
  AclOperations.READ,
  AclOperations.WRITE,
  AclOperations.DESCRIBE,
  AclOperations.CREATE,
  AclOperations.DESCRIBE_CONFIGS,
  AclOperations.ALTER_CONFIGS,
] as const;

export interface StartLocalKafkaOptions {
  readonly brokers: 1 | 3;
  /** Listen with SASL_SSL only (no plaintext listener); absent: a PLAINTEXT cluster, as before. */
  readonly security?: LocalKafkaSecurityOptions;
  /** Keeps the cluster's data here (kept on stop). Default: a fresh temporary directory, removed on stop. */
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}

export interface LocalKafka {
  /** `host:port` of every broker, in index order. */
  readonly bootstrap: string[];
  readonly dataDir: string;
  /** With `security`: TLS + SASL client options of the admin super user (tests, ACL administration). */
  readonly adminClient?: Pick<BaseOptions, 'tls' | 'sasl'>;
  /** Stops every broker (clean shutdown, SIGKILL after a timeout) and removes a temporary data dir. */
  stop(): Promise<void>;
  /** Clean stop then start of one broker, or of all of them. Ports and data are kept. */
  restart(index?: number): Promise<void>;
  /** SIGKILLs one broker (a crash: no controlled shutdown). */
  kill(index: number): Promise<void>;
  /** Cleanly stops one broker. */
  stopBroker(index: number): Promise<void>;
  /** Starts a stopped or killed broker again, on the same ports and data. */
  start(index: number): Promise<void>;
}

/** The cluster id recorded by an earlier format of the first broker's storage, if any. */
function existingClusterId(slots: readonly LocalBrokerSlot[]): string | undefined {
  const first = slots[0];
  const meta = first ? join(first.dataDir, 'log', 'meta.properties') : undefined;
  if (!meta || !existsSync(meta)) return undefined;
  return /^cluster\.id=(\S+)$/m.exec(readFileSync(meta, 'utf8'))?.[1];
}

export async function startLocalKafka(options: StartLocalKafkaOptions): Promise<LocalKafka> {
  const { libs } = await ensureKafkaArtifacts(options.log === undefined ? {} : { log: options.log });
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'dsv-kafka-')));
  const slots: LocalBrokerSlot[] = [];
  for (let index = 0; index < options.brokers; index++) {
    slots.push({
      index,
      nodeId: index + 1,
      port: await freePort(),
      controllerPort: await freePort(),
      dataDir: join(dataDir, `broker-${index + 1}`),
    });
  }
  const security = options.security && (await brokerSecurity(options.security, dataDir));
  const brokers: LocalKafkaBroker[] = [];
  for (const slot of slots) {
    const cert = security && (await options.security?.issueCertificate(`kafka-broker-${slot.nodeId}`));
    brokers.push(new LocalKafkaBroker(slot, libs, security && cert && { ...security, ...cert }));
  }
  // KRaft cluster ids are 16 random bytes in URL-safe base64 without padding. A data dir formatted before
  // keeps its id, so a local broker restarted on the same dir reopens its log (`dsv dev --kafka` restarts).
  const clusterId = existingClusterId(slots) ?? randomBytes(16).toString('base64url');
  const stopAll = async (): Promise<void> => {
    await Promise.all(brokers.map((broker) => broker.stop()));
  };
  try {
    await Promise.all(brokers.map((broker) => broker.prepare(slots, clusterId)));
    // All at once: with 3 brokers none finishes starting before the controller quorum has a majority.
    await Promise.all(brokers.map((broker) => broker.start()));
    if (options.security && security) {
      await grantTopicAcls(
        brokers.map((broker) => broker.address),
        security.adminClient,
        options.security,
      );
    }
  } catch (error) {
    await stopAll();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  const at = (index: number): LocalKafkaBroker => {
    const broker = brokers[index];
    if (!broker) throw new DsvError('DSV_INPUT_INVALID', `No local Kafka broker #${index}`);
    return broker;
  };
  return {
    bootstrap: brokers.map((broker) => broker.address),
    dataDir,
    ...(security ? { adminClient: security.adminClient } : {}),
    async stop() {
      await stopAll();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
    async restart(index) {
      const targets = index === undefined ? brokers : [at(index)];
      await Promise.all(targets.map((broker) => broker.stop()));
      await Promise.all(targets.map((broker) => broker.start()));
    },
    kill: (index) => at(index).kill(),
    stopBroker: (index) => at(index).stop(),
    start: (index) => at(index).start(),
  };
}

const ADMIN_USER = 'dsv-kafka-admin';

/** The admin password is kept in the data dir (0600): a restarted cluster has its SCRAM credential already. */
async function brokerSecurity(
  options: LocalKafkaSecurityOptions,
  dataDir: string,
): Promise<Omit<LocalBrokerSecurity, 'certPem' | 'keyPem'>> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'admin-password');
  let adminPassword: string;
  try {
    adminPassword = (await readFile(file, 'utf8')).trim();
  } catch {
    adminPassword = randomBytes(24).toString('hex');
    await writeFile(file, `${adminPassword}\n`, { mode: 0o600 });
  }
  for (const user of options.users) {
    if (!/^[A-Za-z0-9._-]+$/.test(user.name) || !/^[A-Za-z0-9._~-]+$/.test(user.password)) {
      throw new DsvError(
        'DSV_INPUT_INVALID',
        `Kafka SCRAM user ${user.name}: name or password has odd characters`,
      );
    }
  }
  return {
    caPem: options.caPem,
    adminUser: ADMIN_USER,
    adminPassword,
    scramUsers: [
      { name: ADMIN_USER, password: adminPassword },
      ...options.users.map(({ name, password }) => ({ name, password })),
    ],
    adminClient: {
      tls: { ca: options.caPem },
      sasl: { mechanism: 'SCRAM-SHA-512', username: ADMIN_USER, password: adminPassword },
    },
  };
}

/** ALLOW each node user the DSV operations on topics with the DSV prefix; nothing else is granted. */
async function grantTopicAcls(
  bootstrap: string[],
  adminClient: Pick<BaseOptions, 'tls' | 'sasl'>,
  options: LocalKafkaSecurityOptions,
): Promise<void> {
  if (options.users.length === 0) return;
  const admin = new Admin({ ...adminClient, clientId: 'dsv-local-kafka-acls', bootstrapBrokers: bootstrap });
  try {
    await admin.createAcls({
      creations: options.users.flatMap((user) =>
        (user.operations ?? DSV_TOPIC_OPERATIONS).map((operation) => ({
          resourceType: ResourceTypes.TOPIC,
          resourceName: options.topicPrefix,
          resourcePatternType: ResourcePatternTypes.PREFIXED,
          principal: `User:${user.name}`,
          host: '*',
          operation,
          permissionType: AclPermissionTypes.ALLOW,
        })),
      ),
    });
  } finally {
    await admin.close().catch(() => undefined);
  }
}
