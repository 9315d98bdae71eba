// `dsv cluster init`: a cluster CA, one certificate, key, peer token and config file per node (DESIGN §2,
// §12). Each node's config and its directory can be copied to its machine as they are.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { DsvError } from '../../errors/index.ts';
import { defaultSharingParams, validateSharingParams, type SharingParams } from '../cluster-defaults.ts';
import { createClusterCa, issueNodeCertificate, writePrivateFile, writePublicFile } from '../tls/index.ts';
import { serverConfigSchema, type ServerConfigInput } from './server-config.ts';
import { createClusterIdentity } from '../../trust/index.ts';

export interface ClusterInitOptions {
  readonly nodes: number;
  readonly dir: string;
  /** Kafka bootstrap `host:port` list. */
  readonly kafka: readonly string[];
  /** Node i: public API on basePort + i, peer API on peerBasePort + i (default basePort + 1000). */
  readonly basePort: number;
  readonly peerBasePort?: number;
  /** Host or IP each node is reached at by its peers (one per node); default 127.0.0.1 for all. */
  readonly hosts?: readonly string[];
  /** Address the servers bind; default 127.0.0.1 on a loopback cluster, 0.0.0.0 when hosts are given. */
  readonly listenHost?: string;
  readonly topic?: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly minInsyncReplicas?: number;
  readonly sharing?: SharingParams;
  /** 'passphrase' (default: env, file or prompt at start) or 'key-file' (a random key per node, 0600). */
  readonly kek?: 'passphrase' | 'key-file';
  /** Anonymous v1 access (dev only; `dsv dev --kafka` sets it). */
  readonly devMode?: boolean;
  /** Serve the public API over TLS with the node certificate (clients then trust ca/ca.crt). */
  readonly publicTls?: boolean;
  /** Plain HTTP on a non-loopback public address (`publicInsecureHttp`: for a node behind a TLS proxy). */
  readonly insecureHttp?: boolean;
  /**
   * TLS to the brokers: the PEM of the CA that signed the brokers' certificates, or 'cluster-ca' when the
   * cluster CA made here signs them (`dsv dev --kafka`). Copied to node-i/tls/kafka-ca.crt (`log.tls`).
   */
  readonly kafkaCa?: { readonly pem: string } | 'cluster-ca';
  /** SASL/SCRAM-SHA-512: user `dsv-node-<i>` per node, a random password in node-i/kafka.password (0600). */
  readonly kafkaSasl?: boolean;
}

/** The Kafka user of one node (`kafkaSasl`): the operator creates it on the brokers, with the topic ACLs. */
export interface KafkaNodeUser {
  readonly nodeId: string;
  readonly username: string;
  /** Absolute path of the 0600 password file. */
  readonly passwordFile: string;
}

export interface ClusterInitResult {
  readonly dir: string;
  readonly caDir: string;
  readonly configFiles: string[];
  readonly sharing: SharingParams;
  /** One per node with `kafkaSasl`, else empty. */
  readonly kafkaUsers: KafkaNodeUser[];
}

export const KAFKA_SASL_MECHANISM = 'SCRAM-SHA-512';
export const kafkaUserName = (index: number): string => `dsv-node-${index}`;
export const KAFKA_PASSWORD_FILE = 'kafka.password';
export const KAFKA_CA_FILE = 'tls/kafka-ca.crt';

/** Whether `pem` holds a certificate (the CA given with --kafka-ca), so a wrong file fails at init. */
function requireCertificatePem(pem: string): void {
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) {
    throw new DsvError('DSV_INPUT_INVALID', 'The Kafka CA file holds no PEM certificate');
  }
}

export const CA_DIR = 'ca';
export const nodeConfigFile = (dir: string, index: number): string => join(dir, `node-${index}.json`);

const urlHost = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host);

export async function initCluster(options: ClusterInitOptions): Promise<ClusterInitResult> {
  const dir = resolve(options.dir);
  const hosts = options.hosts ?? Array.from({ length: options.nodes }, () => '127.0.0.1');
  if (hosts.length !== options.nodes) {
    throw new DsvError('DSV_INPUT_INVALID', `--hosts lists ${hosts.length} hosts for ${options.nodes} nodes`);
  }
  const sharing = options.sharing ?? defaultSharingParams(options.nodes);
  validateSharingParams(sharing, options.nodes);
  if (options.kafkaCa !== undefined && options.kafkaCa !== 'cluster-ca')
    requireCertificatePem(options.kafkaCa.pem);
  const peerBasePort = options.peerBasePort ?? options.basePort + 1000;
  if (Math.max(options.basePort, peerBasePort) + options.nodes > 65535) {
    throw new DsvError('DSV_INPUT_INVALID', 'The port ranges run past 65535');
  }
  // Never overwrite: a second init would orphan every node's certificate and data keys.
  if (existsSync(join(dir, CA_DIR)) || existsSync(nodeConfigFile(dir, 0))) {
    throw new DsvError('DSV_INPUT_INVALID', `${dir} already holds a cluster (ca/ or node-0.json exists)`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await createClusterCa();
  writePublicFile(join(dir, CA_DIR, 'ca.crt'), ca.certPem);
  writePrivateFile(join(dir, CA_DIR, 'ca.key'), ca.keyPem);

  const listenHost = options.listenHost ?? (options.hosts ? '0.0.0.0' : '127.0.0.1');
  const members = hosts.map((host, i) => ({
    nodeId: `node-${i}`,
    peerUrl: `https://${urlHost(host)}:${peerBasePort + i}`,
    publicUrl: `${options.publicTls ? 'https' : 'http'}://${urlHost(host)}:${options.basePort + i}`,
  }));
  // Operator key, node keys, per-node peer tokens, manifest and log key (trust-boundaries design §1).
  createClusterIdentity({
    dir,
    nodeDirs: new Map(members.map((member) => [member.nodeId, join(dir, member.nodeId)])),
  });
  const configFiles: string[] = [];
  const kafkaUsers: KafkaNodeUser[] = [];
  const kafkaCaPem = options.kafkaCa === 'cluster-ca' ? ca.certPem : options.kafkaCa?.pem;
  for (const [i, member] of members.entries()) {
    const nodeDir = member.nodeId; // relative to the config file: copy node-i.json with node-i/
    const at = (name: string): string => join(dir, nodeDir, name);
    const names = [hosts[i] ?? '127.0.0.1'];
    const leaf = await issueNodeCertificate(ca, member.nodeId, names, ['server']);
    const client = await issueNodeCertificate(ca, member.nodeId, names, ['client']);
    writePublicFile(at('tls/ca.crt'), ca.certPem);
    writePublicFile(at('tls/node.crt'), leaf.certPem);
    writePrivateFile(at('tls/node.key'), leaf.keyPem);
    writePublicFile(at('tls/client.crt'), client.certPem);
    writePrivateFile(at('tls/client.key'), client.keyPem);
    if (options.kek === 'key-file') writePrivateFile(at('kek.key'), randomBytes(32).toString('hex'));
    if (kafkaCaPem !== undefined) writePublicFile(at(KAFKA_CA_FILE), kafkaCaPem);
    if (options.kafkaSasl) {
      // URL-safe characters only: the password may end up in broker tooling command lines.
      writePrivateFile(at(KAFKA_PASSWORD_FILE), `${randomBytes(32).toString('base64url')}\n`);
      kafkaUsers.push({
        nodeId: member.nodeId,
        username: kafkaUserName(i),
        passwordFile: at(KAFKA_PASSWORD_FILE),
      });
    }
    const config: ServerConfigInput = {
      nodeId: member.nodeId,
      dataDir: `${nodeDir}/data`,
      devMode: options.devMode ?? false,
      publicListen: { host: listenHost, port: options.basePort + i },
      peerListen: { host: listenHost, port: peerBasePort + i },
      members,
      sharing,
      log: {
        kind: 'kafka',
        bootstrap: [...options.kafka],
        topic: options.topic ?? 'dsv-log',
        partitions: options.partitions ?? 12,
        replicationFactor: options.replicationFactor ?? 3,
        minInsyncReplicas: options.minInsyncReplicas ?? 2,
        ...(kafkaCaPem === undefined ? {} : { tls: { caFile: `${nodeDir}/${KAFKA_CA_FILE}` } }),
        ...(options.kafkaSasl
          ? {
              sasl: {
                mechanism: KAFKA_SASL_MECHANISM,
                username: kafkaUserName(i),
                passwordFile: `${nodeDir}/${KAFKA_PASSWORD_FILE}`,
              },
            }
          : {}),
      },
      tls: {
        caFile: `${nodeDir}/tls/ca.crt`,
        certFile: `${nodeDir}/tls/node.crt`,
        keyFile: `${nodeDir}/tls/node.key`,
        clientCertFile: `${nodeDir}/tls/client.crt`,
        clientKeyFile: `${nodeDir}/tls/client.key`,
        ...(options.publicTls
          ? { publicCertFile: `${nodeDir}/tls/node.crt`, publicKeyFile: `${nodeDir}/tls/node.key` }
          : {}),
      },
      identityDir: nodeDir,
      ...(options.insecureHttp === true ? { publicInsecureHttp: true } : {}),
      kek:
        options.kek === 'key-file'
          ? { kind: 'key-file', path: `${nodeDir}/kek.key` }
          : { kind: 'passphrase' },
    };
    serverConfigSchema.parse(config); // what we write must load
    const file = nodeConfigFile(dir, i);
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
    configFiles.push(file);
  }
  return { dir, caDir: join(dir, CA_DIR), configFiles, sharing, kafkaUsers };
}
