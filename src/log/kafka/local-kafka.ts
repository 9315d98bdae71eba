// A real Apache Kafka (KRaft) cluster of 1 or 3 brokers on loopback, for tests and local multi-process runs.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DsvError } from '../../errors/index.ts';
import { ensureKafkaArtifacts } from './kafka-artifacts.ts';
import { LocalKafkaBroker } from './local-kafka-broker.ts';
import { freePort, type LocalBrokerSlot } from './local-kafka-config.ts';

export interface StartLocalKafkaOptions {
  readonly brokers: 1 | 3;
  /** Keeps the cluster's data here (kept on stop). Default: a fresh temporary directory, removed on stop. */
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}

export interface LocalKafka {
  /** `host:port` of every broker, in index order. */
  readonly bootstrap: string[];
  readonly dataDir: string;
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
  const brokers = slots.map((slot) => new LocalKafkaBroker(slot, libs));
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
