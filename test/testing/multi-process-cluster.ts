// Fault-test harness: one real Kafka broker and N `dsv server` processes (mutual TLS, dev mode) built with the
// production tooling (cluster init files, NodeProcesses); kill -9, stop and restart any node, restart the broker.
// The broker is a deployment's: SASL_SSL (certificate from the cluster CA), one SCRAM user per node from
// `dsv cluster init --kafka-sasl`, ACLs only on the topic, and a separate "log writer" user that may produce to
// and read the topic and nothing else (the adversary of DESIGN §13.2).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AclOperations, type BaseOptions } from '@platformatic/kafka';
import {
  CA_DIR,
  initCluster,
  loadServerConfig,
  nodeConfigFile,
  type ServerConfigInput,
} from '../../src/node/server/index.ts';
import { issueNodeCertificate, loadClusterCa } from '../../src/node/tls/index.ts';
import { NodeProcesses } from '../../src/node/server/node-processes.ts';
import { freePortRange } from './free-ports.ts';
import { startKafka, type LocalKafka } from './kafka.ts';
import { waitFor } from './wait.ts';

export interface MultiProcessClusterOptions {
  readonly nodes?: number;
  /** Log partitions of the topic (default 3). */
  readonly partitions?: number;
  /** Edits node i's config file before its first start (timeouts, membership, anti-entropy interval…). */
  readonly configure?: (config: ServerConfigInput, index: number) => ServerConfigInput;
  /** Extra environment of node i's first start (e.g. DSV_FAULT_POINTS). */
  readonly env?: (index: number) => Record<string, string>;
  /**
   * A PLAINTEXT broker without users or ACLs, as before Kafka security (default false; also
   * DSV_TEST_KAFKA_PLAINTEXT=1): to tell a TLS/SASL problem from any other. `kafkaAccess` is then empty.
   */
  readonly plaintextKafka?: boolean;
}

/** `GET /api/v1/cluster/nodes`: the fields the fault tests read. */
export interface NodeStatus {
  readonly nodeId: string;
  readonly applied: number[];
  readonly shards: { readonly staged: number; readonly committed: number };
}

/** One row of a node's `shards` table (never the sealed bytes). */
export interface ShardRow {
  readonly version: number;
  readonly writeId: string;
  readonly state: string;
}

/** TLS and SASL options of a Kafka client (@platformatic/kafka). */
export type KafkaConnection = Pick<BaseOptions, 'tls' | 'sasl'>;

/** Who else may talk to the broker than the nodes. */
export interface KafkaAccess {
  /** The broker's super user: an operator (creates and deletes topics, sets ACLs). */
  readonly operator: KafkaConnection;
  /** A user with READ, WRITE and DESCRIBE on the topic only, and no node file: the "log writer". */
  readonly logWriter: KafkaConnection;
}

export interface MultiProcessCluster {
  readonly kafka: LocalKafka;
  readonly kafkaAccess: KafkaAccess;
  readonly urls: readonly string[];
  readonly nodeIds: readonly string[];
  /** Node i's data dir (`node.sqlite` lives in it). */
  dataDir(index: number): string;
  pid(index: number): number | undefined;
  isRunning(index: number): boolean;
  /** SIGKILL node i and wait until the process is gone. */
  kill9(index: number): Promise<void>;
  /** SIGTERM node i (a clean stop) and wait until it exited. */
  stop(index: number): Promise<void>;
  /** Starts node i again (same config and data) with `env` added; waits until every running node sees it. */
  start(index: number, env?: Record<string, string>): Promise<void>;
  /** Waits until a process exits on its own (a fault point); rejects after `timeoutMs`. */
  awaitExit(index: number, timeoutMs: number): Promise<void>;
  /** Every running node counts every running node healthy. */
  awaitHealthy(timeoutMs: number): Promise<void>;
  status(index: number): Promise<NodeStatus>;
  /** Waits until node i applied at least what every running node applied (DESIGN §5: replay from its offsets). */
  awaitCaughtUp(index: number, timeoutMs: number): Promise<number[][]>;
  /** Node i's shard rows of one secret, read from its SQLite file (read-only). */
  shardRows(index: number, namespace: string, name: string): ShardRow[];
  /** The last lines node i wrote to stderr (its logs), for assertion messages. */
  logs(index: number): string;
  /** Stops every node, then the broker, and removes every file. Idempotent; safe in `after`. */
  stopAll(): Promise<void>;
}

interface Slot {
  readonly nodeId: string;
  readonly url: string;
  readonly configFile: string;
  readonly dataDir: string;
  processes: NodeProcesses | undefined;
  readonly lines: string[];
}

const alive = (slot: Slot): boolean => slot.processes?.list()[0]?.alive === true;
const everyRun = new Set<() => void>();
// Detached children do not get our signals: kill whatever is left however this process exits.
process.once('exit', () => everyRun.forEach((killAll) => killAll()));

export async function startMultiProcessCluster(
  options: MultiProcessClusterOptions = {},
): Promise<MultiProcessCluster> {
  const count = options.nodes ?? 3;
  const root = mkdtempSync(join(tmpdir(), 'dsv-fault-kafka-'));
  const clusterDir = join(root, 'cluster');
  const slots: Slot[] = [];
  const killAll = () => {
    for (const slot of slots) {
      const pid = slot.processes?.list()[0]?.pid;
      if (alive(slot) && pid !== undefined) process.kill(pid, 'SIGKILL');
    }
  };
  everyRun.add(killAll);
  let kafka: LocalKafka | undefined;
  let kafkaAccess: KafkaAccess | undefined;
  let stopped: Promise<void> | undefined;
  const stopAll = () =>
    (stopped ??= (async () => {
      await Promise.allSettled(slots.map((slot) => slot.processes?.stop(10_000) ?? Promise.resolve()));
      await kafka?.stop().catch(() => undefined);
      everyRun.delete(killAll);
      rmSync(root, { recursive: true, force: true });
    })());
  try {
    const basePort = await freePortRange(count);
    let peerBasePort = await freePortRange(count);
    while (Math.abs(peerBasePort - basePort) < count) peerBasePort = await freePortRange(count);
    const secured = !(options.plaintextKafka ?? process.env.DSV_TEST_KAFKA_PLAINTEXT === '1');
    // The cluster files first: the broker's certificate comes from the cluster CA, its users are the nodes'.
    const init = await initCluster({
      nodes: count,
      dir: clusterDir,
      kafka: ['127.0.0.1:9092'], // replaced by the broker's address below
      basePort,
      peerBasePort,
      partitions: options.partitions ?? 3,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      kek: 'key-file',
      devMode: true,
      ...(secured ? { kafkaCa: 'cluster-ca', kafkaSasl: true } : {}),
    });
    const caPem = readFileSync(join(clusterDir, CA_DIR, 'ca.crt'), 'utf8');
    const ca = await loadClusterCa(caPem, readFileSync(join(clusterDir, CA_DIR, 'ca.key'), 'utf8'));
    const writer = { name: 'log-writer', password: randomBytes(24).toString('hex') };
    kafka = await startKafka({
      brokers: 1,
      dataDir: join(root, 'kafka'),
      ...(secured && {
        security: {
          caPem,
          issueCertificate: (name) => issueNodeCertificate(ca, name),
          users: [
            ...init.kafkaUsers.map((user) => ({
              name: user.username,
              password: readFileSync(user.passwordFile, 'utf8').trim(),
            })),
            {
              ...writer,
              operations: [AclOperations.READ, AclOperations.WRITE, AclOperations.DESCRIBE],
            },
          ],
          topicPrefix: 'dsv-log',
        },
      }),
    });
    kafkaAccess = {
      operator: kafka.adminClient ?? {},
      logWriter: secured
        ? {
            tls: { ca: caPem },
            sasl: { mechanism: 'SCRAM-SHA-512', username: writer.name, password: writer.password },
          }
        : {},
    };
    for (let i = 0; i < count; i++) {
      const file = nodeConfigFile(clusterDir, i);
      const initial = JSON.parse(readFileSync(file, 'utf8')) as ServerConfigInput;
      const written: ServerConfigInput = { ...initial, log: { ...initial.log, bootstrap: kafka.bootstrap } };
      const config = options.configure?.(written, i) ?? written;
      writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
      const loaded = loadServerConfig(file);
      const url = `http://${loaded.publicListen.host}:${loaded.publicListen.port}`;
      slots.push({
        nodeId: loaded.nodeId,
        url,
        configFile: file,
        dataDir: loaded.dataDir,
        processes: undefined,
        lines: [],
      });
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const broker = kafka;
  const access = kafkaAccess ?? { operator: {}, logWriter: {} };
  const at = (index: number): Slot => {
    const slot = slots[index];
    if (!slot) throw new Error(`no node #${index}`);
    return slot;
  };
  const spawnNode = (slot: Slot, env: Record<string, string>) => {
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DSV_LOG_LEVEL: process.env.DSV_LOG_LEVEL ?? 'warn',
    };
    delete childEnv.DSV_FAULT_POINTS; // armed only where a test asks for it
    slot.processes = NodeProcesses.spawn(
      [{ nodeId: slot.nodeId, configFile: slot.configFile, publicUrl: slot.url }],
      {
        kafka: broker.bootstrap,
        env: { ...childEnv, ...env },
        events: {
          onLine: (_, line) => keep(slot.lines, line),
          onUnexpectedExit: (_, pid, code, signal) =>
            keep(slot.lines, `pid ${pid} exited (${signal ?? code})`),
        },
      },
    );
  };
  const awaitHealthy = async (timeoutMs: number) => {
    const running = slots.filter(alive);
    await waitFor(
      async () => {
        const seen = await Promise.all(running.map((slot) => healthyCount(slot.url)));
        return seen.every((healthy) => healthy === running.length);
      },
      timeoutMs,
      250,
    );
  };
  const cluster: MultiProcessCluster = {
    kafka: broker,
    kafkaAccess: access,
    urls: slots.map((slot) => slot.url),
    nodeIds: slots.map((slot) => slot.nodeId),
    dataDir: (index) => at(index).dataDir,
    pid: (index) => (alive(at(index)) ? at(index).processes?.list()[0]?.pid : undefined),
    isRunning: (index) => alive(at(index)),
    async kill9(index) {
      const pid = cluster.pid(index);
      if (pid === undefined) return;
      process.kill(pid, 'SIGKILL');
      await cluster.awaitExit(index, 10_000);
    },
    stop: async (index) => void (await at(index).processes?.stop(15_000)),
    async start(index, env = {}) {
      const slot = at(index);
      if (alive(slot)) throw new Error(`${slot.nodeId} is running`);
      spawnNode(slot, env);
      await waitFor(
        async () => {
          if (!alive(slot)) throw new Error(`${slot.nodeId} exited while starting:\n${cluster.logs(index)}`);
          return (await healthyCount(slot.url)) > 0;
        },
        120_000,
        250,
      );
      await awaitHealthy(60_000);
    },
    awaitExit: (index, timeoutMs) => waitFor(() => !alive(at(index)), timeoutMs, 20),
    awaitHealthy,
    async status(index) {
      const response = await fetch(`${at(index).url}/api/v1/cluster/nodes`, {
        signal: AbortSignal.timeout(5000),
      });
      return (await response.json()) as NodeStatus;
    },
    async awaitCaughtUp(index, timeoutMs) {
      let offsets: number[][] = [];
      await waitFor(async () => {
        const running = slots.flatMap((slot, i) => (alive(slot) ? [i] : []));
        offsets = (await Promise.all(running.map((i) => cluster.status(i)))).map((status) => status.applied);
        const mine = offsets[running.indexOf(index)] ?? [];
        return offsets.every((theirs) => theirs.every((offset, p) => (mine[p] ?? -1) >= offset));
      }, timeoutMs);
      return offsets;
    },
    shardRows(index, namespace, name) {
      const db = new DatabaseSync(join(at(index).dataDir, 'node.sqlite'), { readOnly: true });
      try {
        const rows = db
          .prepare(
            'SELECT version, write_id, state FROM shards WHERE namespace = ? AND name = ? ORDER BY version',
          )
          .all(namespace, name);
        return rows.map((row) => ({
          version: Number(row.version),
          writeId: String(row.write_id),
          state: String(row.state),
        }));
      } finally {
        db.close();
      }
    },
    logs: (index) => at(index).lines.join('\n'),
    stopAll,
  };
  try {
    for (const slot of slots) spawnNode(slot, options.env?.(slots.indexOf(slot)) ?? {});
    await waitFor(
      async () => {
        const dead = slots.find((slot) => !alive(slot));
        if (dead) throw new Error(`${dead.nodeId} exited while starting:\n${dead.lines.join('\n')}`);
        return (await Promise.all(slots.map((slot) => healthyCount(slot.url)))).every((n) => n === count);
      },
      180_000,
      250,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  return cluster;
}

/** How many nodes `url` counts healthy (itself included); 0 when it does not answer. */
async function healthyCount(url: string): Promise<number> {
  try {
    const response = await fetch(`${url}/api/v1/cluster/status`, { signal: AbortSignal.timeout(3000) });
    return response.ok ? ((await response.json()) as { healthyNodes: number }).healthyNodes : 0;
  } catch {
    return 0;
  }
}

function keep(lines: string[], line: string): void {
  lines.push(line);
  if (lines.length > 200) lines.splice(0, lines.length - 200);
}
