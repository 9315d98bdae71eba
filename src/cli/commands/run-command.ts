// `dsv run -- <command>`: resolve a .env file's secret(…) references in memory and start the command with
// them in its environment. Nothing is written to disk; the vault token is not passed on.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import { withExitCode } from '../admin-client.ts';
import { clientInMode, withClientSide, withConnection, type ModeOptions } from '../client/connection.ts';
import { refuseEncLines } from '../client/env-lines.ts';
import { environmentOf, transformLines } from '../client/env-transform.ts';
import { action } from '../client/output.ts';
import { namespaceOption } from '../client/option-parsers.ts';
import { readEnvFile } from './env-command.ts';

type RunOptions = ModeOptions & { namespace: string; envFile: string; override?: boolean };

// Not SIGUSR1: Node reserves it for the inspector.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const;

export function registerRunCommand(program: Command): void {
  withConnection(
    withClientSide(
      program
        .command('run')
        .description('run a command with the .env file resolved into its environment (never written to disk)')
        .argument('<command...>', 'the command and its arguments, after --')
        .option('--env-file <file>', 'the .env file to resolve', '.env')
        .addOption(namespaceOption())
        .option('--no-override', 'keep variables already set in the environment')
        .passThroughOptions()
        .usage('[options] -- <command> [args...]'),
    ),
    { json: false }, // the command's own output is all there is
  ).action(
    action(async (command: string[], options: RunOptions) => {
      const [file, ...args] = command;
      if (file === undefined) throw new DsvError('DSV_INPUT_INVALID', 'No command to run');
      const envFile = await readEnvFile(options.envFile);
      refuseEncLines(envFile);
      const resolved = await transformLines(await clientInMode(options), options.namespace, envFile, [
        'secret',
      ]);
      const variables = environmentOf(envFile, resolved);
      const childEnv: NodeJS.ProcessEnv = { ...process.env };
      // The child gets the secrets it asked for, not the credential that can read every other one.
      delete childEnv.DSV_TOKEN;
      for (const [key, value] of variables) {
        if (options.override !== false || childEnv[key] === undefined) childEnv[key] = value;
      }
      process.exitCode = await runChild(file, args, childEnv);
    }),
  );
}

/** Starts the command with inherited stdio; forwards signals; resolves with its exit code (128+n for a signal). */
function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const cleanup = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    child.on('error', (error) => {
      cleanup();
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      // As a shell says it: 127 command not found, 126 found but not runnable.
      const [why, exitCode] =
        code === 'ENOENT'
          ? ['command not found', 127]
          : code === 'EACCES'
            ? ['permission denied', 126]
            : [code, 1];
      reject(
        withExitCode(
          new DsvError('DSV_INPUT_INVALID', `Cannot start ${file}: ${why}`, { cause: error }),
          exitCode,
        ),
      );
    });
    child.on('exit', (code, signal) => {
      cleanup();
      if (signal === null) return resolve(code ?? 1);
      // Die of the same signal, so a shell sees what killed the command; 128+n if that does not end us.
      process.kill(process.pid, signal);
      resolve(128 + (constants.signals[signal] ?? 0));
    });
  });
}
