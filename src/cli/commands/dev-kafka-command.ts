// `dsv dev --kafka`: a real multi-process cluster on this machine — a local Kafka broker, `dsv cluster
// init` files, and one `dsv server` process per node with mutual TLS between them (DESIGN §2, §9).
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import { PASSPHRASE_ENV, requireStrongPassphrase, resolvePassphrase } from '../../keys/index.ts';
import {
  startLocalKafka,
  type LocalKafka,
  type LocalKafkaSecurityOptions,
} from '../../log/kafka/local-kafka.ts';
import {
  CA_DIR,
  initCluster,
  loadServerConfig,
  nodeConfigFile,
  type ServerConfig,
  issueRootToken,
  NodeProcesses,
  PKCS11_PIN_ENV,
} from '../../node/server/index.ts';
import { issueNodeCertificate, loadClusterCa } from '../../node/tls/index.ts';
import { SIGNAL_EXIT } from './dev-command.ts';
import { devTenantAdmin } from './dev-tenant-admin.ts';
import { startDevConsole, stdinCarriesCommands, type DevNodeControl } from './dev-console.ts';
import { missingKafkaTools } from './kafka-tools.ts';

interface DevKafkaOptions {
  readonly nodes: number;
  readonly port: number;
  readonly dataDir: string;
  readonly passphraseFile?: string;
  readonly passphraseFd?: number;
  /** `--port` was given on the command line (not the default). */
  readonly portGiven: boolean;
  /** `--reset`: delete the data dir's previous cluster and start fresh. */
  readonly reset: boolean;
}

/** A start that would lose the user's data or silently differ from the command line: exit 2, say why. */
export class DevKafkaRefusal extends Error {}

/**
 * Adds `--kafka` to the existing `dsv dev` command. When it is given, this hook runs the multi-process cluster
 * and never returns (the process exits on Ctrl-C), so the in-process dev action does not run.
 */
export function registerDevKafkaMode(program: Command): void {
  const dev = program.commands.find((command) => command.name() === 'dev');
  if (!dev) throw new Error('register the dev command first');
  dev.option('--kafka', 'run each node as its own process on a local Kafka broker, mutual TLS between nodes');
  dev.option(
    '--reset',
    "with --kafka: delete the data dir's previous cluster (every secret) and start fresh",
  );
  dev.hook('preAction', async (command) => {
    const options = command.opts<Omit<DevKafkaOptions, 'portGiven'> & { kafka?: boolean }>();
    if (!options.kafka) return;
    if (command.getOptionValue('rootToken') !== undefined) {
      console.error(
        'dsv dev: --root-token is not supported with --kafka yet (each start prints a new root token)',
      );
      process.exit(2);
    }
    // Java (and Maven until the broker's jars are cached) before anything starts or is written.
    const missing = missingKafkaTools();
    for (const problem of missing) console.error(`dsv dev --kafka: ${problem}`);
    if (missing.length > 0) process.exit(2);
    // The in-process dev cluster keeps a different layout; do not share its default directory.
    const dataDir =
      command.getOptionValueSource('dataDir') === 'default' ? '.dsv/dev-kafka' : options.dataDir;
    await runDevKafka({
      nodes: options.nodes,
      port: options.port,
      dataDir,
      portGiven: command.getOptionValueSource('port') === 'cli',
      reset: options.reset === true,
      ...(options.passphraseFile === undefined ? {} : { passphraseFile: options.passphraseFile }),
      ...(options.passphraseFd === undefined ? {} : { passphraseFd: options.passphraseFd }),
    });
  });
}

async function runDevKafka(options: DevKafkaOptions): Promise<never> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'cluster');
  const started = Date.now();
  let kafka: LocalKafka | undefined;
  let nodes: NodeProcesses | undefined;
  let rootToken: string | undefined;
  let tenantAdmin: string | undefined;
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
  process.on('SIGINT', () => void shutdown(SIGNAL_EXIT.SIGINT));
  process.on('SIGTERM', () => void shutdown(SIGNAL_EXIT.SIGTERM));
  // Read once (env, --passphrase-file or --passphrase-fd) and taken out of this process's environment before
  // anything is started: the node processes get it through an inherited pipe (never their environment, which
  // /proc/<pid>/environ shows), the Kafka JVM, Maven and their watchdogs not at all. No node needs a PIN.
  const fromEnv = process.env[PASSPHRASE_ENV];
  delete process.env[PASSPHRASE_ENV];
  delete process.env[PKCS11_PIN_ENV];
  let passphrase: string | undefined;
  try {
    if (fromEnv !== undefined || options.passphraseFile !== undefined || options.passphraseFd !== undefined) {
      passphrase = requireStrongPassphrase(
        await resolvePassphrase({
          env: { [PASSPHRASE_ENV]: fromEnv },
          ...(options.passphraseFd === undefined ? {} : { fd: options.passphraseFd }),
          ...(options.passphraseFile === undefined ? {} : { file: options.passphraseFile }),
        }),
      );
    }
  } catch (error) {
    console.error(`dsv dev --kafka: ${error instanceof Error ? error.message : String(error)}`);
    return shutdown(2);
  }
  try {
    const resuming = await previousRunUsable(dataDir, clusterDir, options);
    // The cluster files come first: the broker's certificate is issued by the cluster CA and its SCRAM users
    // are the nodes' own. Node configs name the broker address of their first run; nodes are given today's
    // with --kafka.
    const configs = resuming
      ? Array.from({ length: options.nodes }, (_, i) => loadServerConfig(nodeConfigFile(clusterDir, i)))
      : await freshClusterConfigs(clusterDir, options, passphrase !== undefined);
    if (resuming) refuseOtherPort(dataDir, configs, options);
    const security = await brokerSecurity(clusterDir, configs);
    kafka = await startLocalKafka({
      brokers: 1,
      dataDir: join(dataDir, 'kafka'),
      ...(security === undefined ? {} : { security }),
      log: (line) => console.error(line),
    });
    const mode = security === undefined ? 'PLAINTEXT' : 'SASL_SSL, a SCRAM-SHA-512 user per node';
    console.log(
      `kafka   ${kafka.bootstrap.join(',')}  (1 broker, ${mode}, data in ${join(dataDir, 'kafka')})`,
    );
    if (!resuming) await recordBootstrap(clusterDir, options.nodes, kafka.bootstrap);
    if (resuming)
      console.log(`resuming the cluster in ${dataDir} (its log, certificates and node data are kept)`);
    if (security === undefined) {
      console.log(
        `note: ${dataDir} was made before dsv dev --kafka secured its broker: Kafka runs PLAINTEXT with no ` +
          'ACLs; remove the directory for a SASL_SSL broker',
      );
    }
    const env: NodeJS.ProcessEnv = { ...process.env, DSV_LOG_LEVEL: process.env.DSV_LOG_LEVEL ?? 'warn' };
    nodes = NodeProcesses.spawn(
      configs.map((config, i) => ({
        nodeId: config.nodeId,
        configFile: nodeConfigFile(clusterDir, i),
        publicUrl: `http://${config.publicListen.host}:${config.publicListen.port}`,
      })),
      {
        kafka: kafka.bootstrap,
        env,
        ...(passphrase === undefined ? {} : { passphrase }),
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
      const url = nodes.list()[0]?.publicUrl;
      if (url) tenantAdmin = await devTenantAdmin(dataDir, url, rootToken).catch(() => undefined);
    }
  } catch (error) {
    console.error(`dsv dev --kafka: ${error instanceof Error ? error.message : String(error)}`);
    const refused =
      error instanceof DevKafkaRefusal || (error instanceof DsvError && error.code === 'DSV_KEK_UNAVAILABLE');
    return shutdown(refused ? 2 : 1);
  }
  for (const node of nodes.list()) console.log(`${node.nodeId}  ${node.publicUrl}  pid ${node.pid}`);
  if (rootToken) console.log(`Root token: ${rootToken}`);
  // I-T4: root reads no secrets on `dsv server` nodes; the default tenant's admin does (README "Admin separation").
  if (tenantAdmin) console.log(`Default tenant admin token: ${tenantAdmin}`);
  console.log('dev mode: anonymous v1 access is allowed; nodes call each other over mutual TLS');
  if (kafka.adminClient) {
    console.log('Kafka: TLS from the cluster CA, each node its own SCRAM user, ACLs on the topic only');
  }
  console.log(`cluster files (CA, certificates, node configs) in ${clusterDir}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `DSV dev cluster ready: ${options.nodes} node processes on Kafka in ${seconds}s, data in ${options.dataDir}`,
  );
  console.log(
    'Type "help" for node controls (stop, start, restart a node process); Ctrl-C stops the nodes and the broker.',
  );
  if (stdinCarriesCommands()) startDevConsole(processControl(nodes));
  return new Promise<never>(() => undefined); // runs until a signal calls shutdown
}

/** The dev console over node processes: `stop node-i` is SIGTERM and a wait, `start node-i` the same command. */
function processControl(nodes: NodeProcesses): DevNodeControl {
  return {
    nodes: () =>
      nodes.list().map((node) => ({
        nodeId: node.nodeId,
        running: node.alive,
        url: node.publicUrl,
        ...(node.alive ? { detail: `pid ${node.pid}` } : {}),
      })),
    stopNode: (nodeId) => nodes.stopNode(nodeId),
    startNode: (nodeId) => nodes.startNode(nodeId),
  };
}

/** A new cluster: CA, certificates and one config per node, written into the data dir. */
async function freshClusterConfigs(
  clusterDir: string,
  options: DevKafkaOptions,
  withPassphrase: boolean,
): Promise<ServerConfig[]> {
  await initCluster({
    nodes: options.nodes,
    dir: clusterDir,
    kafka: [PENDING_BOOTSTRAP], // the broker starts after: recordBootstrap writes its address
    kafkaCa: 'cluster-ca',
    kafkaSasl: true,
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

/** Stands in for the broker's address until it has started (it needs the cluster CA and node users first). */
const PENDING_BOOTSTRAP = '127.0.0.1:9092';

/** Writes the broker's address into each node config, replacing PENDING_BOOTSTRAP. */
async function recordBootstrap(
  clusterDir: string,
  nodes: number,
  bootstrap: readonly string[],
): Promise<void> {
  for (let i = 0; i < nodes; i++) {
    const file = nodeConfigFile(clusterDir, i);
    const config = JSON.parse(await readFile(file, 'utf8')) as { log: { bootstrap: string[] } };
    config.log.bootstrap = [...bootstrap];
    await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  }
}

/**
 * A SASL_SSL broker whose certificate the cluster CA issues, with each node's SCRAM user (name and password
 * from its config) and the DSV ACLs on the topic. Undefined for a data dir whose configs name no Kafka TLS or
 * SASL (made before this existed): its broker was formatted without users, so it stays PLAINTEXT.
 */
async function brokerSecurity(
  clusterDir: string,
  configs: readonly ServerConfig[],
): Promise<LocalKafkaSecurityOptions | undefined> {
  if (configs.some((config) => config.log.tls === undefined || config.log.sasl === undefined))
    return undefined;
  const caPem = await readFile(join(clusterDir, CA_DIR, 'ca.crt'), 'utf8');
  const ca = await loadClusterCa(caPem, await readFile(join(clusterDir, CA_DIR, 'ca.key'), 'utf8'));
  const users = await Promise.all(
    configs.map(async (config) => ({
      name: config.log.sasl?.username ?? config.nodeId,
      password: (await readFile(config.log.sasl?.passwordFile ?? '', 'utf8')).trim(),
    })),
  );
  return {
    caPem,
    issueCertificate: (name) => issueNodeCertificate(ca, name),
    users,
    topicPrefix: configs[0]?.log.topic ?? 'dsv-log',
  };
}

/**
 * Restarting on the same data dir keeps every secret: the broker reopens its formatted log (same cluster id)
 * and the nodes their databases, so their applied offsets still match the log. A half-made or differently
 * sized previous run cannot be resumed; it is removed (the two directories this command made) only with
 * `--reset`, else the start is refused: a user's data is never deleted without the explicit flag.
 */
export async function previousRunUsable(
  dataDir: string,
  clusterDir: string,
  options: Pick<DevKafkaOptions, 'nodes' | 'reset'>,
): Promise<boolean> {
  const kafkaDir = join(dataDir, 'kafka');
  const formatted = existsSync(join(kafkaDir, 'broker-1', 'log', 'meta.properties'));
  let existing = 0;
  while (existsSync(nodeConfigFile(clusterDir, existing))) existing += 1;
  if (!options.reset && formatted && existing === options.nodes) return true;
  if (!existsSync(kafkaDir) && !existsSync(clusterDir)) return false;
  if (options.reset) {
    console.log(`--reset: deleting the previous cluster in ${dataDir} (every secret) and starting fresh`);
    await rm(kafkaDir, { recursive: true, force: true });
    await rm(clusterDir, { recursive: true, force: true });
    return false;
  }
  const what =
    formatted && existing > 0
      ? `a cluster of ${existing} node${existing === 1 ? '' : 's'}, not ${options.nodes}`
      : 'an incomplete cluster (a first start that did not finish)';
  const resume = formatted && existing > 0 ? `resume it with --nodes ${existing}, ` : '';
  throw new DevKafkaRefusal(
    `${dataDir} holds ${what}; nothing was changed. To keep its secrets, ${resume}or start a new cluster ` +
      `elsewhere with --data-dir <another dir>; to delete it and start fresh, add --reset`,
  );
}

/**
 * A resumed cluster keeps the ports it was made with (they are in its certificates' peer URLs and every node's
 * manifest), so an explicit `--port` that differs is refused rather than silently ignored.
 */
export function refuseOtherPort(
  dataDir: string,
  configs: readonly ServerConfig[],
  options: Pick<DevKafkaOptions, 'port' | 'portGiven'>,
): void {
  const port = configs[0]?.publicListen.port;
  if (!options.portGiven || port === undefined || port === options.port) return;
  throw new DevKafkaRefusal(
    `the cluster in ${dataDir} serves on port ${port} (node i on ${port} + i); a resumed cluster keeps ` +
      `its ports: run with --port ${port} or without --port, or start a new cluster elsewhere with ` +
      '--data-dir <another dir> (or --reset to delete this one)',
  );
}
