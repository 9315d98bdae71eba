// Starts what `dsv dev --kafka` starts, owned by the bench process: one local Kafka broker (KRaft) and one
// `dsv server` process per node, mutual TLS between the nodes, dev mode (anonymous v1) — and stops it all.
import { join } from 'node:path';
import { startLocalKafka } from '../src/log/kafka/local-kafka.ts';
import { initCluster, loadServerConfig, nodeConfigFile } from '../src/node/server/index.ts';
import { NodeProcesses } from '../src/node/server/node-processes.ts';
import type { CleanupStack } from './cleanup.ts';
import { freePortRange } from '../src/platform/free-ports.ts';

export interface KafkaBenchCluster {
  readonly urls: string[];
  /** `host:port` of the broker, for the raw produce baseline on a topic of its own. */
  readonly bootstrap: string[];
  readonly topic: string;
  readonly pids: number[];
}

/** Each resource is registered on `cleanup` as soon as it exists, so a failed start still stops everything. */
export async function startKafkaBenchCluster(options: {
  readonly dataDir: string;
  readonly cleanup: CleanupStack;
  readonly progress: (line: string) => void;
  readonly nodes?: number;
  readonly readyMs?: number;
}): Promise<KafkaBenchCluster> {
  const nodes = options.nodes ?? 3;
  const kafka = await startLocalKafka({ brokers: 1, dataDir: join(options.dataDir, 'kafka') });
  options.cleanup.defer('stop the Kafka broker', () => kafka.stop());
  options.progress(`kafka broker at ${kafka.bootstrap.join(',')}`);
  const clusterDir = join(options.dataDir, 'cluster');
  const topic = 'dsv-log';
  // The settings of `dsv dev --kafka` (src/cli/commands/dev-kafka-command.ts): one broker, so replication 1.
  await initCluster({
    nodes,
    dir: clusterDir,
    kafka: kafka.bootstrap,
    basePort: await freePortRange(nodes),
    peerBasePort: await freePortRange(nodes),
    topic,
    partitions: 5,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    kek: 'key-file',
    devMode: true,
  });
  const configs = Array.from({ length: nodes }, (_, i) => loadServerConfig(nodeConfigFile(clusterDir, i)));
  const env: NodeJS.ProcessEnv = { ...process.env, DSV_LOG_LEVEL: 'warn' };
  const processes = NodeProcesses.spawn(
    configs.map((config, i) => ({
      nodeId: config.nodeId,
      configFile: nodeConfigFile(clusterDir, i),
      publicUrl: `http://${config.publicListen.host}:${config.publicListen.port}`,
    })),
    {
      kafka: kafka.bootstrap,
      env,
      events: {
        onLine: (nodeId, line) => options.progress(`[${nodeId}] ${line}`),
        onUnexpectedExit: (nodeId, pid, code, signal) =>
          options.progress(`${nodeId} (pid ${pid}) exited unexpectedly (${signal ?? `code ${code}`})`),
      },
    },
  );
  options.cleanup.defer('stop the node processes', () => processes.stop());
  await processes.awaitReady(options.readyMs ?? 120_000);
  const list = processes.list();
  return {
    urls: list.map((node) => node.publicUrl),
    bootstrap: kafka.bootstrap,
    topic,
    pids: list.map((node) => node.pid),
  };
}
