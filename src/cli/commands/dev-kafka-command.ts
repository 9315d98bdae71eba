// `dsv dev --kafka`: a real multi-process cluster on this machine — a local Kafka broker, `dsv cluster
// init` files, and one `dsv server` process per node with mutual TLS between them (DESIGN §2, §9).
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import { PASSPHRASE_ENV } from '../../keys/index.ts';
import { startLocalKafka, type LocalKafka } from '../../log/kafka/local-kafka.ts';
import { initCluster, loadServerConfig, nodeConfigFile, type ServerConfig } from '../../node/server/index.ts';
import { issueRootToken } from '../../node/server/root-token.ts';
import { NodeProcesses } from '../../node/server/node-processes.ts';

interface DevKafkaOptions {
  readonly nodes: number;
  readonly port: number;
  readonly dataDir: string;
}

/**
 * Adds `--kafka` to the existing `dsv dev` command. When it is given, this hook runs the multi-process cluster
 * and never returns (the process exits on Ctrl-C), so the in-process dev action does not run.
 */
export function registerDevKafkaMode(program: Command): void {
  const dev = program.commands.find((command) => command.name() === 'dev');
  if (!dev) throw new Error('register the dev command first');
  dev.option('--kafka', 'run each node as its own process on a local Kafka broker, mutual TLS between nodes');
  dev.hook('preAction', async (command) => {
    const options = command.opts<DevKafkaOptions & { kafka?: boolean }>();
    if (!options.kafka) return;
    // The in-process dev cluster keeps a different layout; do not share its default directory.
    const dataDir =
      command.getOptionValueSource('dataDir') === 'default' ? '.dsv/dev-kafka' : options.dataDir;
    await runDevKafka({ nodes: options.nodes, port: options.port, dataDir });
  });
}

async function runDevKafka(options: DevKafkaOptions): Promise<never> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'cluster');
  const started = Date.now();
  let kafka: LocalKafka | undefined;
  let nodes: NodeProcesses | undefined;
  let rootToken: string | undefined;
  let stopping = false;
  const shutdown = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      console.log('stopping nodes…');
      await nodes?.stop();
      console.log('stopping Kafka…');
      await kafka?.stop();
      console.log('stopped');
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // Taken out of this process's environment before anything is started: only the node processes get it,
  // never the Kafka JVM, Maven or their watchdogs.
  const passphrase = process.env[PASSPHRASE_ENV];
  delete process.env[PASSPHRASE_ENV];
  try {
    const resuming = await previousRunUsable(dataDir, clusterDir, options.nodes);
    kafka = await startLocalKafka({
      brokers: 1,
      dataDir: join(dataDir, 'kafka'),
      log: (line) => console.error(line),
    });
    console.log(`kafka   ${kafka.bootstrap.join(',')}  (1 broker, data in ${join(dataDir, 'kafka')})`);
    // Node configs name the broker address of their first run; nodes are given today's with --kafka.
    const configs = resuming
      ? Array.from({ length: options.nodes }, (_, i) => loadServerConfig(nodeConfigFile(clusterDir, i)))
      : await freshClusterConfigs(clusterDir, options, kafka.bootstrap, passphrase !== undefined);
    if (resuming)
      console.log(`resuming the cluster in ${dataDir} (its log, certificates and node data are kept)`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DSV_LOG_LEVEL: process.env.DSV_LOG_LEVEL ?? 'warn',
      ...(passphrase === undefined ? {} : { [PASSPHRASE_ENV]: passphrase }),
    };
    nodes = NodeProcesses.spawn(
      configs.map((config, i) => ({
        nodeId: config.nodeId,
        configFile: nodeConfigFile(clusterDir, i),
        publicUrl: `http://${config.publicListen.host}:${config.publicListen.port}`,
      })),
      {
        kafka: kafka.bootstrap,
        env,
        events: {
          onLine: (nodeId, line) => console.error(`[${nodeId}] ${line}`),
          onUnexpectedExit: (nodeId, pid, code, signal) =>
            console.error(`${nodeId} (pid ${pid}) exited unexpectedly (${signal ?? `code ${code}`})`),
        },
      },
    );
    await nodes.awaitReady(120_000);
    const first = configs[0];
    if (first) {
      rootToken = (
        await issueRootToken({ ...first, log: { ...first.log, bootstrap: kafka.bootstrap } }, 'dev root')
      ).token;
    }
  } catch (error) {
    console.error(`dsv dev --kafka: ${error instanceof Error ? error.message : String(error)}`);
    return shutdown(error instanceof DsvError && error.code === 'DSV_KEK_UNAVAILABLE' ? 2 : 1);
  }
  for (const node of nodes.list()) console.log(`${node.nodeId}  ${node.publicUrl}  pid ${node.pid}`);
  if (rootToken) console.log(`Root token: ${rootToken}`);
  console.log('dev mode: anonymous v1 access is allowed; nodes call each other over mutual TLS');
  console.log(`cluster files (CA, certificates, node configs) in ${clusterDir}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `DSV dev cluster ready: ${options.nodes} node processes on Kafka in ${seconds}s, data in ${options.dataDir}`,
  );
  console.log('Ctrl-C stops the nodes and the broker.');
  return new Promise<never>(() => undefined); // runs until a signal calls shutdown
}

/** A new cluster: CA, certificates and one config per node, written into the data dir. */
async function freshClusterConfigs(
  clusterDir: string,
  options: DevKafkaOptions,
  bootstrap: readonly string[],
  withPassphrase: boolean,
): Promise<ServerConfig[]> {
  await initCluster({
    nodes: options.nodes,
    dir: clusterDir,
    kafka: bootstrap,
    basePort: options.port,
    partitions: 5,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    kek: withPassphrase ? 'passphrase' : 'key-file',
    devMode: true,
  });
  if (!withPassphrase) {
    console.log(`note: no ${PASSPHRASE_ENV} set — each node keeps a random key file (no protection at rest)`);
  }
  return Array.from({ length: options.nodes }, (_, i) => loadServerConfig(nodeConfigFile(clusterDir, i)));
}

/**
 * Restarting on the same data dir keeps every secret: the broker reopens its formatted log (same cluster id)
 * and the nodes their databases, so their applied offsets still match the log. A half-made or differently
 * sized previous run cannot be resumed safely; only then are the two directories this command made removed.
 */
async function previousRunUsable(dataDir: string, clusterDir: string, nodes: number): Promise<boolean> {
  const kafkaDir = join(dataDir, 'kafka');
  const formatted = existsSync(join(kafkaDir, 'broker-1', 'log', 'meta.properties'));
  const configs = Array.from({ length: nodes }, (_, i) => existsSync(nodeConfigFile(clusterDir, i)));
  const moreNodes = existsSync(nodeConfigFile(clusterDir, nodes));
  if (formatted && configs.every(Boolean) && !moreNodes) return true;
  if (existsSync(kafkaDir) || existsSync(clusterDir)) {
    console.log(
      `note: the previous run in ${dataDir} cannot be resumed (incomplete or another size); starting fresh`,
    );
    await rm(kafkaDir, { recursive: true, force: true });
    await rm(clusterDir, { recursive: true, force: true });
  }
  return false;
}
