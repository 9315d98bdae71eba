// One production node from its config file (`dsv server`): unseal source, TLS files, peer token, the Kafka
// commit log, then the node itself. Fails before serving anything when any of them is wrong (DESIGN §8).
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DsvError } from '../../errors/index.ts';
import {
  PASSPHRASE_ENV,
  requireStrongPassphrase,
  resolvePassphrase,
  type PassphraseTerminal,
} from '../../keys/index.ts';
import { KafkaCommitLog, type KafkaCommitLogOptions } from '../../log/kafka/kafka-commit-log.ts';
import { DsvNode } from '../dsv-node.ts';
import { envelopeSealer, openKekProvider, type KekSource } from '../sealers.ts';

/** The HSM PIN, when set for `dsv server`: read once, then removed so no child process inherits it. */
export const PKCS11_PIN_ENV = 'DSV_PKCS11_PIN';
import { loadNodeTls } from '../tls/index.ts';
import { loadTrustMaterial } from '../../trust/index.ts';
import type { ServerConfig } from './server-config.ts';

export interface ServerNodeOptions {
  readonly logger: Logger;
  /** Overrides the config's Kafka bootstrap list (a broker that moved, `dsv dev --kafka` restarts). */
  readonly kafkaBootstrap?: readonly string[];
  /** Where a passphrase prompt may ask (a TTY), when neither the env var nor a file gives one. */
  readonly terminal?: PassphraseTerminal;
  /** The environment DSV_UNSEAL_PASSPHRASE is read from and then removed from (default process.env). */
  readonly env?: Record<string, string | undefined>;
  /** `--passphrase-file`: overrides the config's `kek.passphraseFile`. */
  readonly passphraseFile?: string;
  /**
   * `--passphrase-fd`: an inherited descriptor (a pipe from `dsv dev --kafka`) holding the passphrase; wins
   * over the environment and files, and keeps the passphrase out of /proc/<pid>/environ.
   */
  readonly passphraseFd?: number;
}

export interface ServerNode {
  readonly node: DsvNode;
  readonly log: KafkaCommitLog;
  stop(): Promise<void>;
}

export async function startServerNode(config: ServerConfig, options: ServerNodeOptions): Promise<ServerNode> {
  // Cheap checks first, so a misconfigured node fails in milliseconds, not after Kafka's connect timeouts.
  const tls = loadNodeTls(config.tls);
  if (tls.identity !== config.nodeId) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `TLS misconfigured: ${config.tls.certFile} is the certificate of ${tls.identity}, not ${config.nodeId}`,
    );
  }
  const trust = loadTrustMaterial(config.identityDir);
  if (trust.identity.nodeId !== config.nodeId)
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `${config.identityDir} holds the identity of ${trust.identity.nodeId}`,
    );
  // Unseal before connecting anywhere: a node whose KEK is unavailable never serves (DESIGN §8).
  const kek = await openKekProvider(await kekSource(config, options), config.dataDir);
  let log: KafkaCommitLog;
  try {
    log = await KafkaCommitLog.open({
      bootstrap: options.kafkaBootstrap ?? config.log.bootstrap,
      topic: config.log.topic,
      partitionCount: config.log.partitions,
      replicationFactor: config.log.replicationFactor,
      minInsyncReplicas: config.log.minInsyncReplicas,
      clientId: `dsv-${config.nodeId}`,
      ...kafkaSecurity(config.log),
    });
  } catch (error) {
    await kek.close();
    throw error;
  }
  const node = new DsvNode(config, {
    log,
    logger: options.logger,
    trust,
    sealer: envelopeSealer(kek),
    // I-T4 dev path: a node configured for development (devMode, which already lets anonymous loopback v1
    // callers act on the default tenant: `dsv dev --kafka`) gives root the dev cluster's standing approval.
    // Production configs are written with devMode false (`dsv cluster init`), and then root reads nothing.
    devStandingApproval: config.devMode,
  });
  try {
    await node.start();
  } catch (error) {
    await log.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    node,
    log,
    stop: () =>
      (stopping ??= (async () => {
        await node.stop();
        await log.close();
      })()),
  };
}

/** TLS and SASL/SCRAM options for the brokers from the config's files (read now: a bad file fails start-up). */
export function kafkaSecurity(log: ServerConfig['log']): Pick<KafkaCommitLogOptions, 'tls' | 'sasl'> {
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new DsvError('DSV_INPUT_INVALID', `cannot read the Kafka ${what} ${path} (${code})`, {
        cause: error,
      });
    }
  };
  const { tls, sasl } = log;
  return {
    ...(tls === undefined
      ? {}
      : {
          tls: {
            ca: read(tls.caFile, 'CA file'),
            ...(tls.certFile === undefined ? {} : { cert: read(tls.certFile, 'certificate file') }),
            ...(tls.keyFile === undefined ? {} : { key: read(tls.keyFile, 'key file') }),
          },
        }),
    ...(sasl === undefined
      ? {}
      : {
          sasl: {
            mechanism: sasl.mechanism,
            username: sasl.username,
            password: read(sasl.passwordFile, 'SASL password file').trim(),
          },
        }),
  };
}

/** The config's kmip entry as a KekSource, leaving out what is not set (exactOptionalPropertyTypes). */
function kmipSource(kek: Extract<ServerConfig['kek'], { kind: 'kmip' }>): KekSource {
  const defined = Object.entries(kek).filter(([, value]) => value !== undefined);
  return Object.fromEntries(defined) as KekSource;
}

async function kekSource(config: ServerConfig, options: ServerNodeOptions): Promise<KekSource> {
  const env = options.env ?? process.env;
  const kek = config.kek;
  // Whatever the source, neither secret stays in this process's environment for a child to inherit.
  const pinFromEnv = env[PKCS11_PIN_ENV];
  delete env[PKCS11_PIN_ENV];
  const passphraseEnv = { [PASSPHRASE_ENV]: env[PASSPHRASE_ENV] };
  delete env[PASSPHRASE_ENV];
  if (kek.kind === 'key-file') return { kind: 'key-file', path: kek.path };
  if (kek.kind === 'kmip') return kmipSource(kek);
  if (kek.kind === 'aws-kms') {
    const { keyId, region, endpoint } = kek;
    return endpoint === undefined
      ? { kind: 'aws-kms', keyId, region }
      : { kind: 'aws-kms', keyId, region, endpoint };
  }
  if (kek.kind === 'pkcs11') {
    const pin =
      pinFromEnv ?? (kek.pinFile === undefined ? undefined : (await readFile(kek.pinFile, 'utf8')).trim());
    if (!pin)
      throw new DsvError(
        'DSV_KEK_UNAVAILABLE',
        `Unseal failed: no HSM PIN (set ${PKCS11_PIN_ENV} or pinFile)`,
      );
    return {
      kind: 'pkcs11',
      modulePath: kek.modulePath,
      tokenLabel: kek.tokenLabel,
      keyLabel: kek.keyLabel,
      pin,
      createKeyIfMissing: kek.createKeyIfMissing,
    };
  }
  const file = options.passphraseFile ?? kek.passphraseFile;
  const passphrase = await resolvePassphrase({
    env: passphraseEnv,
    ...(options.passphraseFd === undefined ? {} : { fd: options.passphraseFd }),
    ...(file === undefined ? {} : { file }),
    ...(options.terminal ? { prompt: options.terminal } : {}),
  });
  requireStrongPassphrase(passphrase);
  return { kind: 'passphrase', passphrase };
}
