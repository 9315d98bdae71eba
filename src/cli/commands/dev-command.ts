// `dsv dev`: a real N-node cluster in one process on loopback, with an interactive node stop/start console.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { looksLikeToken } from '../../control/index.ts';
import {
  createLogger,
  DevCluster,
  ensureDevKeyFile,
  envelopeSealer,
  logLineFormatter,
  type KekSource,
  type LogFormat,
} from '../../node/index.ts';
import { join } from 'node:path';
import { PASSPHRASE_ENV, requireStrongPassphrase, resolvePassphrase } from '../../keys/index.ts';
import { PKCS11_PIN_ENV } from '../../node/server/index.ts';
import { startDevConsole, stdinCarriesCommands } from './dev-console.ts';
import { fdNumber } from './server-command.ts';

interface PassphraseOptions {
  readonly passphraseFile?: string;
  readonly passphraseFd?: number;
}

function integer(min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run a development cluster of N nodes in one process (anonymous v1 access allowed)')
    .option('--nodes <n>', 'number of nodes', integer(1, 15), 3)
    .option('--port <p>', 'node i serves its public API on P + i', integer(1, 64000), 8080)
    .option('--data-dir <dir>', 'where the nodes and the commit log keep their data', '.dsv/dev')
    .option('--passphrase-file <file>', 'read the unseal passphrase from this file')
    .option('--passphrase-fd <n>', 'read the unseal passphrase from this inherited file descriptor', fdNumber)
    .option(
      '--root-token <token>',
      'use this root token (dsv. + 43 base64url characters) instead of a new one',
      rootToken,
    )
    .addOption(
      new Option('--log-format <format>', 'node logs on stderr: for people, or JSON lines')
        .choices(['pretty', 'json'])
        .default('pretty'),
    )
    .action(
      async (
        options: {
          nodes: number;
          port: number;
          dataDir: string;
          rootToken?: string;
          logFormat: LogFormat;
        } & PassphraseOptions,
      ) => {
        // Log lines wait until the cluster is up: a failed start is one line below, not the nodes' teardown noise.
        // They are for people (pino-pretty) unless --log-format json.
        const held: string[] = [];
        let holding = true;
        const format = logLineFormatter(options.logFormat, process.stderr.isTTY && !process.env.NO_COLOR);
        const logger = createLogger({
          level: process.env.DSV_LOG_LEVEL ?? 'warn',
          destination: {
            write: (line: string) => void (holding ? held.push(line) : process.stderr.write(format(line))),
          },
        });
        const cluster = await DevCluster.start({
          nodes: options.nodes,
          basePort: options.port,
          dataDir: options.dataDir,
          logger,
          sealer: envelopeSealer(await devKekSource(options.dataDir, options)),
        }).catch((error: unknown) => {
          // Sealed start or a port in use: one line saying why, exit non-zero; never serve half-working (§8).
          console.error(`dsv dev: ${startFailure(error, options.port, options.nodes)}`);
          process.exit(2);
        });
        holding = false;
        for (const line of held.splice(0)) process.stderr.write(format(line));
        const rootToken = await cluster.issueDevRootToken(options.rootToken).catch(async (error: unknown) => {
          console.error(`dsv dev: ${error instanceof Error ? error.message : String(error)}`);
          await cluster.stop();
          process.exit(2);
        });
        for (const node of cluster.nodes()) console.log(`${node.nodeId}  ${node.url}`);
        console.log(`Root token: ${rootToken}`);
        console.log(
          options.rootToken === undefined
            ? '(shown once; a new one is made on every start. v1 calls without a token are allowed in dev mode.)'
            : '(fixed by --root-token: anyone who knows it is root; v1 calls without a token are allowed in dev mode.)',
        );
        console.log(
          `Web console: ${cluster.urls()[0] ?? ''}/ui/ (every node serves it; sign in with the root token)`,
        );
        console.log(`DSV dev cluster ready: ${options.nodes} nodes, data in ${options.dataDir}`);
        console.log('Type "help" for node controls; Ctrl-C stops the cluster.');
        let stopping = false;
        const shutdown = async (signal: 'SIGINT' | 'SIGTERM') => {
          if (stopping) return;
          stopping = true;
          console.log('stopping…');
          await cluster.stop(); // drains the requests in flight first
          process.exit(SIGNAL_EXIT[signal]);
        };
        process.on('SIGINT', () => void shutdown('SIGINT'));
        process.on('SIGTERM', () => void shutdown('SIGTERM'));
        if (stdinCarriesCommands()) startDevConsole(cluster);
      },
    );
}

/** After a clean shutdown, the exit code a shell gives a process killed by the signal: 128 + its number. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** `--root-token`: the shape of a minted token, refused as a usage error (exit 2) otherwise. */
function rootToken(raw: string): string {
  if (!looksLikeToken(raw))
    throw new InvalidArgumentError(
      'a root token is "dsv." followed by 43 base64url characters (A-Z a-z 0-9 - _), e.g. ' +
        `dsv.${'A'.repeat(43)}; make one with: node -e "console.log('dsv.'+require('crypto').randomBytes(32).toString('base64url'))"`,
    );
  return raw;
}

/** Why the cluster did not start, in one line: a port in use names the port and what to do. */
function startFailure(error: unknown, port: number, nodes: number): string {
  const found = findCause(error, (e) => (e as { code?: unknown }).code === 'EADDRINUSE');
  if (found !== undefined) {
    const busy = (found as { port?: unknown }).port;
    return (
      `port ${typeof busy === 'number' ? busy : `in ${port}-${port + nodes - 1} or ${port + 1000}-${port + 999 + nodes}`} is already in use ` +
      `(another dsv dev?): stop it, or pass --port with another base port`
    );
  }
  return error instanceof Error ? error.message : String(error);
}

function findCause(error: unknown, test: (error: object) => boolean): object | undefined {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    if (test(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** DSV_UNSEAL_PASSPHRASE, --passphrase-file or --passphrase-fd unseals; otherwise a dev key file. */
async function devKekSource(dataDir: string, options: PassphraseOptions): Promise<KekSource> {
  // Read once, then out of the environment: children of this process must not inherit either secret.
  const fromEnv = process.env[PASSPHRASE_ENV];
  delete process.env[PASSPHRASE_ENV];
  delete process.env[PKCS11_PIN_ENV];
  if (fromEnv !== undefined || options.passphraseFile !== undefined || options.passphraseFd !== undefined) {
    const passphrase = requireStrongPassphrase(
      await resolvePassphrase({
        env: { [PASSPHRASE_ENV]: fromEnv },
        ...(options.passphraseFd === undefined ? {} : { fd: options.passphraseFd }),
        ...(options.passphraseFile === undefined ? {} : { file: options.passphraseFile }),
      }),
    );
    return { kind: 'passphrase', passphrase };
  }
  console.log(
    `note: no ${PASSPHRASE_ENV} set — using a dev key file beside the data (no protection at rest)`,
  );
  return { kind: 'key-file', path: ensureDevKeyFile(join(dataDir, 'dev-kek.key')) };
}
