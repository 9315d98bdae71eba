// `dsv env encrypt|resolve`: .env files in, .env files out, through POST /v2/env:transform (all-or-nothing).
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import { clientFor, withConnection, type ConnectionOptions } from '../client/connection.ts';
import { countKind, refuseEncLines, renderEnvFile, splitEnvFile, type EnvFile } from '../client/env-lines.ts';
import { transformLines } from '../client/env-transform.ts';
import { action, printJson } from '../client/output.ts';
import { withProgress } from '../client/progress.ts';
import { writePrivateFile } from '../client/private-file.ts';

type EnvOptions = ConnectionOptions & { namespace: string; output?: string };

export const namespaceOption = (): Option =>
  new Option('-n, --namespace <namespace>', 'the namespace the secrets live in')
    .env('DSV_NAMESPACE')
    .makeOptionMandatory();

export async function readEnvFile(path: string): Promise<EnvFile> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    throw new DsvError('DSV_INPUT_INVALID', `Cannot read ${path}`, { cause: error });
  }
  return splitEnvFile(content); // a DSV_ENV_INVALID naming the line, not "cannot read"
}

export function registerEnvCommand(program: Command): void {
  const env = program
    .command('env')
    .description('.env files: store enc(…) values, resolve secret(…) references');

  withConnection(
    env
      .command('encrypt <file>')
      .description(
        'store every NAME=enc(value) as secret NAME and write NAME=secret(NAME) instead (all or nothing)',
      )
      .addOption(namespaceOption())
      .option('-o, --output <file>', 'write here ("-" for stdout); default: rewrite <file> in place'),
  ).action(
    action(async (path: string, options: EnvOptions) => {
      const file = await readEnvFile(path);
      const count = countKind(file, 'enc');
      // Only enc(…) lines go to the server: secret(…) lines stay references, never resolved into this file.
      const replaced = await withProgress(`storing ${count} values in ${options.namespace}…`, () =>
        transformLines(clientFor(options), options.namespace, file, ['enc']),
      );
      const target = options.output ?? path;
      const content = renderEnvFile(file, replaced);
      if (options.json && target === '-')
        return printJson({ namespace: options.namespace, stored: count, content });
      if (count > 0 || target !== path) emit(target, content);
      if (options.json) return printJson({ output: target, namespace: options.namespace, stored: count });
      if (target !== '-') console.error(`stored ${count} secrets in ${options.namespace}; wrote ${target}`);
    }),
  );

  withConnection(
    env
      .command('resolve <file>')
      .description('replace every X=secret(NAME[, version=N]) with its value; other lines are kept')
      .addOption(namespaceOption())
      .option('-o, --output <file>', 'write here (mode 0600); default: stdout'),
  ).action(
    action(async (path: string, options: EnvOptions) => {
      const file = await readEnvFile(path);
      refuseEncLines(file);
      const count = countKind(file, 'secret');
      const replaced = await withProgress(`resolving ${count} references…`, () =>
        transformLines(clientFor(options), options.namespace, file, ['secret']),
      );
      const content = renderEnvFile(file, replaced);
      const target = options.output ?? '-';
      if (options.json && target === '-')
        return printJson({ namespace: options.namespace, resolved: count, content });
      emit(target, content);
      if (options.json) printJson({ output: target, namespace: options.namespace, resolved: count });
    }),
  );
}

/** A file is replaced whole or not at all (temp file, fsync, rename), readable by its owner only. */
function emit(target: string, content: string): void {
  if (target === '-') process.stdout.write(content);
  else writePrivateFile(target, content);
}
