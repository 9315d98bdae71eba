// One production node from its config file (`dsv server`): unseal source, TLS files, peer token, the Kafka
// commit log, then the node itself. Fails before serving anything when any of them is wrong (DESIGN §8).
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DsvError } from '../../errors/index.ts';
import { PASSPHRASE_ENV, resolvePassphrase, type PassphraseTerminal } from '../../keys/index.ts';
import { KafkaCommitLog } from '../../log/kafka/kafka-commit-log.ts';
import { DsvNode } from '../dsv-node.ts';
import { envelopeSealer, type KekSource } from '../sealers.ts';
import { loadNodeTls } from '../tls/index.ts';
import type { ServerConfig } from './server-config.ts';

export interface ServerNodeOptions {
  readonly logger: Logger;
  /** Overrides the config's Kafka bootstrap list (a broker that moved, `dsv dev --kafka` restarts). */
  readonly kafkaBootstrap?: readonly string[];
  /** Where a passphrase prompt may ask (a TTY), when neither the env var nor a file gives one. */
  readonly terminal?: PassphraseTerminal;
  /** The environment DSV_UNSEAL_PASSPHRASE is read from and then removed from (default process.env). */
  readonly env?: Record<string, string | undefined>;
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
  const peerToken = readPeerToken(config.peerTokenFile);
  const kek = await kekSource(config, options);
  const log = await KafkaCommitLog.open({
    bootstrap: options.kafkaBootstrap ?? config.log.bootstrap,
    topic: config.log.topic,
    partitionCount: config.log.partitions,
    replicationFactor: config.log.replicationFactor,
    minInsyncReplicas: config.log.minInsyncReplicas,
    clientId: `dsv-${config.nodeId}`,
  });
  const node = new DsvNode(config, { log, logger: options.logger, peerToken, sealer: envelopeSealer(kek) });
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

function readPeerToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new DsvError('DSV_INPUT_INVALID', `cannot read the peer token file ${path} (${code})`, {
      cause: error,
    });
  }
  if (token.length < 16) throw new DsvError('DSV_INPUT_INVALID', `the peer token in ${path} is too short`);
  return token;
}

async function kekSource(config: ServerConfig, options: ServerNodeOptions): Promise<KekSource> {
  if (config.kek.kind === 'key-file') return { kind: 'key-file', path: config.kek.path };
  const env = options.env ?? process.env;
  const passphrase = await resolvePassphrase({
    env,
    ...(config.kek.passphraseFile === undefined ? {} : { file: config.kek.passphraseFile }),
    ...(options.terminal ? { prompt: options.terminal } : {}),
  });
  delete env[PASSPHRASE_ENV]; // nothing this process starts later inherits it
  return { kind: 'passphrase', passphrase };
}
