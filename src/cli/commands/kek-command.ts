// `dsv keys rotate-kek`: rewraps one stopped node's data keys under a new KEK, offline and crash-safe (DESIGN §8).
import type { Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import {
  NEW_PASSPHRASE_ENV,
  PASSPHRASE_ENV,
  requireStrongPassphrase,
  resolvePassphrase,
  type PassphraseTerminal,
} from '../../keys/kek/local/passphrase.ts';
import type { LocalKekSecret } from '../../keys/rotation/kek-rotation-local.ts';
import { rotateNodeKek } from '../../keys/rotation/kek-rotation-node.ts';
import { reportAndExit } from '../admin-client.ts';

interface RotateKekOptions {
  nodeDir: string;
  passphraseFile?: string;
  keyFile?: string;
  newPassphraseFile?: string;
  newKeyFile?: string;
  json?: boolean;
}

const terminal = process.stdin as unknown as PassphraseTerminal['input'];

/** Adds `rotate-kek` under `dsv keys` (created here if the keys command is not registered). */
export function registerKekCommand(program: Command): void {
  const keys =
    program.commands.find((command) => command.name() === 'keys') ??
    program.command('keys').description('data-key rotation and status');
  keys
    .command('rotate-kek')
    .description(
      "rewrap a STOPPED node's data keys under a new key-encryption key (shards untouched); " +
        'run it node by node while the others serve, then restart the node with the new secret',
    )
    .requiredOption('--node-dir <dir>', "the node's data directory (dev: <data-dir>/node-<i>)")
    .option('--passphrase-file <file>', `current passphrase (default: ${PASSPHRASE_ENV}, else a prompt)`)
    .option('--key-file <file>', 'the current KEK is this key file (dev: <data-dir>/dev-kek.key)')
    .option(
      '--new-passphrase-file <file>',
      `new passphrase (default: ${NEW_PASSPHRASE_ENV}, else a prompt, asked twice)`,
    )
    .option('--new-key-file <file>', 'the new KEK is this key file (32 raw bytes or 64 hex characters)')
    .option('--json', 'machine-readable summary')
    .action(async (options: RotateKekOptions) => {
      try {
        await rotateKek(options);
      } catch (error) {
        reportAndExit(error);
      }
    });
}

async function rotateKek(options: RotateKekOptions): Promise<void> {
  if (options.passphraseFile !== undefined && options.keyFile !== undefined) {
    throw new DsvError('DSV_INPUT_INVALID', '--passphrase-file and --key-file name the same KEK: give one');
  }
  if (options.newPassphraseFile !== undefined && options.newKeyFile !== undefined) {
    throw new DsvError('DSV_INPUT_INVALID', '--new-passphrase-file and --new-key-file: give one');
  }
  const from = await secret(options.keyFile, options.passphraseFile, PASSPHRASE_ENV, false);
  const to = await secret(options.newKeyFile, options.newPassphraseFile, NEW_PASSPHRASE_ENV, true);
  const say = (line: string) => {
    if (!options.json) console.log(line);
  };
  say(`rotating the KEK of ${options.nodeDir} (the node must be stopped) …`);
  let reported = 0;
  const result = await rotateNodeKek({
    nodeDir: options.nodeDir,
    from,
    to,
    onProgress: ({ done, total }) => {
      // About ten lines however many keys: each tenant has a handful per node.
      if (done === total || done - reported >= Math.max(1, Math.ceil(total / 10))) {
        reported = done;
        say(`  ${done}/${total} data keys staged under the new KEK`);
      }
    },
    onPhase: (phase) =>
      say(
        phase === 'committed'
          ? '  committed: every data key is now wrapped by the new KEK'
          : '  installed the new key verifier',
      ),
  });
  if (options.json) return console.log(JSON.stringify(result));
  const seconds = (result.ms / 1000).toFixed(2);
  if (result.alreadyFinished) {
    say(`already rotated: all ${result.liveKeys} data keys are under the new KEK (${seconds} s)`);
  } else {
    say(
      `done: ${result.rewrapped} data keys rewrapped` +
        (result.resumed > 0 ? `, ${result.resumed} resumed from an interrupted run` : '') +
        `, ${result.destroyedUntouched} destroyed keys untouched, shards untouched, in ${seconds} s`,
    );
  }
  say(
    to.kind === 'passphrase'
      ? 'restart the node with the NEW passphrase; the old one no longer unseals it'
      : 'restart the node with the new key file; the old KEK no longer unseals it',
  );
}

/** A key file if given; else a passphrase: its file if given, else the env variable, else a no-echo prompt. */
async function secret(
  keyFile: string | undefined,
  passphraseFile: string | undefined,
  envName: string,
  isNew: boolean,
): Promise<LocalKekSecret> {
  if (keyFile !== undefined) return { kind: 'key-file', path: keyFile };
  const passphrase = await resolvePassphrase({
    // An explicit file beats an ambient variable.
    ...(passphraseFile !== undefined ? { file: passphraseFile } : { env: process.env }),
    envName,
    prompt: { input: terminal, output: process.stderr },
    question: isNew ? 'New unseal passphrase' : 'Current unseal passphrase',
    confirm: isNew,
  });
  return { kind: 'passphrase', passphrase: isNew ? requireStrongPassphrase(passphrase) : passphrase };
}
