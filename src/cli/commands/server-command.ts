// `dsv server --config F`: runs one production node until SIGINT/SIGTERM; exits non-zero, saying why, when
// the config, TLS files or commit log are wrong (1) or the node cannot unseal or its log changed (2).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import { createLogger } from '../../node/index.ts';
import {
  loadServerConfig,
  plainHttpRefusal,
  startServerNode,
  type ServerNode,
} from '../../node/server/index.ts';
import { list } from './cluster-command.ts';

interface ServerOptions {
  readonly config: string;
  readonly kafka?: string[];
  readonly exitWithParent?: boolean;
  readonly passphraseFile?: string;
  readonly passphraseFd?: number;
  readonly insecureHttp?: boolean;
}

/** A file descriptor number for `--passphrase-fd`. */
export function fdNumber(raw: string): number {
  const fd = Number(raw);
  if (!Number.isSafeInteger(fd) || fd < 0 || String(fd) !== raw.trim())
    throw new InvalidArgumentError('expected a file descriptor number, e.g. 3');
  return fd;
}

// Exit 2: the node refuses to serve as it is (sealed, or the log it follows was replaced — I-L8).
const SEALED = new Set(['DSV_KEK_UNAVAILABLE', 'DSV_KEY_UNWRAP_FAILED', 'DSV_LOG_IDENTITY_CHANGED']);

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run one node of a cluster from its config file (written by dsv cluster init)')
    .requiredOption('--config <file>', 'the node config file, e.g. cluster/node-0.json')
    .option('--kafka <host:port,…>', "override the config's Kafka bootstrap brokers", list)
    .option('--passphrase-file <file>', "read the unseal passphrase from this file (overrides the config's)")
    .option(
      '--passphrase-fd <n>',
      'read the unseal passphrase from this inherited file descriptor until end of input (e.g. 3<file)',
      fdNumber,
    )
    .option(
      '--insecure-http',
      'serve the public API over plain HTTP on a non-loopback address (e.g. behind a TLS proxy)',
    )
    // `dsv dev --kafka` starts nodes with this: a node whose parent dies (stdin closes) stops too.
    .addOption(new Option('--exit-with-parent').hideHelp())
    .action(async (options: ServerOptions) => {
      const logger = createLogger({ level: process.env.DSV_LOG_LEVEL ?? 'info' });
      let server: ServerNode;
      try {
        const config = loadServerConfig(options.config);
        // Plain HTTP off loopback only when asked for explicitly (issue 11): a usage problem, exit 2.
        const refusal = plainHttpRefusal(config, options.insecureHttp === true);
        if (refusal !== undefined) {
          console.error(`dsv server: ${refusal}`);
          process.exit(2);
        }
        server = await startServerNode(config, {
          logger,
          ...(options.kafka ? { kafkaBootstrap: options.kafka } : {}),
          ...(options.passphraseFile === undefined ? {} : { passphraseFile: options.passphraseFile }),
          ...(options.passphraseFd === undefined ? {} : { passphraseFd: options.passphraseFd }),
          ...(process.stdin.isTTY && !options.exitWithParent
            ? { terminal: { input: process.stdin, output: process.stderr } }
            : {}),
        });
      } catch (error) {
        const code = error instanceof DsvError ? error.code : undefined;
        const message = error instanceof Error ? error.message : String(error);
        // For log collectors a JSON record (production logs are JSON lines), for people the line below.
        logger.error({ code: code ?? null }, `start failed: ${message}`);
        console.error(`dsv server: ${code ? `[${code}] ` : ''}${message}`);
        process.exit(code !== undefined && SEALED.has(code) ? 2 : 1);
      }
      const { config } = server.node;
      const peerUrl = config.members.find((member) => member.nodeId === config.nodeId)?.peerUrl ?? '';
      console.log(
        `${config.nodeId}  ${server.node.publicUrl}  peer ${peerUrl} (mutual TLS)  pid ${process.pid}`,
      );
      console.log(
        config.devMode
          ? `${config.nodeId}: dev mode — anonymous v1 access is allowed`
          : `${config.nodeId}: anonymous v1 access is refused (production mode)`,
      );
      console.log(`${config.nodeId} ready`);
      let stopping = false;
      const shutdown = (why: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${config.nodeId}: ${why}, stopping…`);
        server.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(
              `dsv server: stop failed: ${error instanceof Error ? error.message : String(error)}`,
            );
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      if (options.exitWithParent) {
        process.stdin.on('end', () => shutdown('parent gone'));
        process.stdin.on('close', () => shutdown('parent gone'));
        process.stdin.resume();
      }
    });
}
