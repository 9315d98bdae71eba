// `dsv cluster init`: writes a cluster CA, node certificates, peer token and one config file per node.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import {
  initCluster,
  isLoopbackHost,
  issueRootToken,
  KAFKA_SASL_MECHANISM,
  loadServerConfig,
  revokeClusterNode,
} from '../../node/server/index.ts';
import { reportAndExit } from '../admin-client.ts';

export function integer(min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** `a,b,c` → ['a', 'b', 'c'] (empty items dropped). */
export function list(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

interface InitOptions {
  nodes: number;
  dir: string;
  kafka: string[];
  basePort: number;
  peerBasePort?: number;
  hosts?: string[];
  listenHost?: string;
  topic: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  kek: 'passphrase' | 'key-file';
  publicTls?: boolean;
  insecureHttp?: boolean;
  kafkaCa?: string;
  kafkaSasl?: boolean;
}

function readKafkaCa(file: string): { pem: string } {
  try {
    return { pem: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new DsvError('DSV_INPUT_INVALID', `cannot read the Kafka CA file ${file} (${code})`, {
      cause: error,
    });
  }
}

export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('cluster administration');
  cluster
    .command('root-token')
    .description('issue a root token for a dsv server cluster (printed once; only its hash is stored)')
    .requiredOption('--config <file>', 'any node config file of the cluster (for its Kafka settings)')
    .option('--operator-dir <dir>', 'directory holding operator.key (default: where dsv cluster init put it)')
    .option('--json', 'machine-readable output')
    .action(async (options: { config: string; operatorDir?: string; json?: boolean }) => {
      try {
        const issued = await issueRootToken(loadServerConfig(options.config), 'root', options.operatorDir);
        if (options.json) return console.log(JSON.stringify(issued));
        console.log(`Root token: ${issued.token}`);
        console.log(`accessor: ${issued.accessor} (revoke with DELETE /v2/sys/tokens/<accessor>)`);
        console.log('This is the only time the token is shown. Nodes apply it when they next read the log.');
      } catch (error) {
        reportAndExit(error);
      }
    });
  cluster
    .command('revoke-node')
    .description(
      'revoke a node: every other node refuses its records, endorsements and peer calls (needs operator.key)',
    )
    .argument('<node-id>', 'the node to revoke, e.g. node-2')
    .requiredOption('--config <file>', 'any node config file of the cluster (for its Kafka settings)')
    .option('--operator-dir <dir>', 'directory holding operator.key (default: where dsv cluster init put it)')
    .action(async (nodeId: string, options: { config: string; operatorDir?: string }) => {
      try {
        await revokeClusterNode(loadServerConfig(options.config), nodeId, options.operatorDir);
        console.log(`${nodeId} is revoked on every partition; nodes refuse it as they apply the log.`);
      } catch (error) {
        reportAndExit(error);
      }
    });
  cluster
    .command('init')
    .description('create a cluster CA, one certificate, key and config file per node (dsv server --config …)')
    .requiredOption('--nodes <n>', 'number of nodes', integer(1, 255))
    .requiredOption('--dir <dir>', 'where to write ca/, node-<i>.json and node-<i>/')
    .requiredOption('--kafka <host:port,…>', 'Kafka bootstrap brokers', list)
    .option(
      '--base-port <p>',
      'node i: public API on P + i, peer API on P + 1000 + i',
      integer(1, 64000),
      8080,
    )
    .option(
      '--peer-base-port <p>',
      'node i: peer API on P + i (default: base port + 1000)',
      integer(1, 65000),
    )
    .option(
      '--hosts <h0,h1,…>',
      'host name or IP each node is reached at, one per node (default 127.0.0.1)',
      list,
    )
    .option('--listen-host <addr>', 'address the servers bind (default 127.0.0.1, or 0.0.0.0 with --hosts)')
    .option('--topic <name>', 'Kafka topic of the commit log', 'dsv-log')
    .option(
      '--partitions <n>',
      'partitions of the topic (one is the control partition)',
      integer(2, 10000),
      12,
    )
    .option('--replication-factor <n>', 'copies of each partition', integer(1, 32), 3)
    .option(
      '--min-insync-replicas <n>',
      'copies an append needs before it is acknowledged',
      integer(1, 32),
      2,
    )
    .addOption(
      new Option('--kek <source>', 'key-encryption key: an unseal passphrase, or a random key file per node')
        .choices(['passphrase', 'key-file'])
        .default('passphrase'),
    )
    .option('--public-tls', 'serve the public API over TLS with the node certificate')
    .option(
      '--insecure-http',
      'let nodes serve the public API over plain HTTP off loopback (publicInsecureHttp; behind a TLS proxy)',
    )
    .option(
      '--kafka-ca <file>',
      "TLS to the brokers: the CA certificate (PEM) that signed the brokers' certificates",
    )
    .option(
      '--kafka-sasl',
      `SASL/${KAFKA_SASL_MECHANISM} to the brokers: user dsv-node-<i> per node, random password in node-<i>/kafka.password`,
    )
    .action(async (options: InitOptions) => {
      try {
        const result = await initCluster({
          nodes: options.nodes,
          dir: options.dir,
          kafka: options.kafka,
          basePort: options.basePort,
          ...(options.peerBasePort === undefined ? {} : { peerBasePort: options.peerBasePort }),
          ...(options.hosts === undefined ? {} : { hosts: options.hosts }),
          ...(options.listenHost === undefined ? {} : { listenHost: options.listenHost }),
          topic: options.topic,
          partitions: options.partitions,
          replicationFactor: options.replicationFactor,
          minInsyncReplicas: options.minInsyncReplicas,
          kek: options.kek,
          publicTls: options.publicTls === true,
          insecureHttp: options.insecureHttp === true,
          ...(options.kafkaCa === undefined ? {} : { kafkaCa: readKafkaCa(options.kafkaCa) }),
          kafkaSasl: options.kafkaSasl === true,
        });
        const { n, k, w } = result.sharing;
        console.log(`cluster of ${options.nodes} nodes (n=${n}, k=${k}, W=${w}) in ${result.dir}`);
        for (const [i, file] of result.configFiles.entries()) {
          console.log(`node-${i}  ${file}  (+ node-${i}/: certificate, key, peer token)`);
        }
        console.log(`cluster CA: ${result.caDir}/ca.crt`);
        console.log(
          `IMPORTANT: ${result.caDir}/ca.key signs node certificates — move it offline now; nodes never need it`,
        );
        console.log(
          'next: copy node-<i>.json with node-<i>/ to machine i, then: dsv server --config node-<i>.json',
        );
        if (result.kafkaUsers.length > 0) {
          const topic = options.topic;
          console.log(
            `Kafka users (${KAFKA_SASL_MECHANISM}) to create on the brokers, each with READ, WRITE, DESCRIBE, ` +
              `DESCRIBE_CONFIGS (+ CREATE, ALTER_CONFIGS if nodes create the topic) on Topic:${topic}:`,
          );
          for (const user of result.kafkaUsers) {
            console.log(`  ${user.username}  password in ${user.passwordFile}`);
          }
        }
        if (options.kafkaCa === undefined || options.kafkaSasl !== true) {
          console.error(
            'WARNING: Kafka without TLS and SASL (--kafka-ca, --kafka-sasl): anyone who reaches a broker can ' +
              'read and write the log; production needs TLS+SASL',
          );
        }
        const listen = options.listenHost ?? (options.hosts ? '0.0.0.0' : '127.0.0.1');
        if (options.publicTls !== true && options.insecureHttp !== true && !isLoopbackHost(listen)) {
          console.error(
            `WARNING: the public API binds ${listen} without --public-tls: dsv server refuses plain HTTP off ` +
              'loopback; re-run with --public-tls, or pass --insecure-http (here or to dsv server) behind a TLS proxy',
          );
        }
        if (options.kek === 'passphrase') {
          console.log(
            'each node asks for its unseal passphrase (DSV_UNSEAL_PASSPHRASE, or a terminal prompt)',
          );
        }
      } catch (error) {
        reportAndExit(error);
      }
    });
}
