// `dsv env encrypt|resolve|import`: .env files in, .env files out, through POST /v2/env:transform (all-or-nothing).
import { readFile } from 'node:fs/promises';
import { parseEnv } from 'node:util';
import type { Command } from 'commander';
import { namespaceOption } from '../client/option-parsers.ts';
import { DsvError } from '../../errors/index.ts';
import {
  clientFor,
  clientInMode,
  withClientSide,
  withConnection,
  type ConnectionOptions,
  type ModeOptions,
} from '../client/connection.ts';
import { countKind, refuseEncLines, renderEnvFile, splitEnvFile, type EnvFile } from '../client/env-lines.ts';
import { transformLines } from '../client/env-transform.ts';
import { action, printJson } from '../client/output.ts';
import { withProgress } from '../client/progress.ts';
import { writePrivateFile } from '../client/private-file.ts';
import { segment } from '../client/v2-client.ts';
import { listAll } from '../client/v2-client.ts';

type EnvOptions = ModeOptions & { namespace: string; output?: string };

export async function readEnvFile(path: string): Promise<EnvFile> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'error');
    throw new DsvError('DSV_INPUT_INVALID', `Cannot read ${path}: ${why}`, { cause: error });
  }
  return splitEnvFile(content); // a DSV_ENV_INVALID naming the line, not "cannot read"
}

export function registerEnvCommand(program: Command): void {
  const env = program
    .command('env')
    .description('.env files: store enc(…) values, resolve secret(…) references');

  withConnection(
    withClientSide(
      env
        .command('encrypt <file>')
        .description(
          'store every NAME=enc(value) as secret NAME and write NAME=secret(NAME) instead (all or nothing)',
        )
        .addOption(namespaceOption())
        .option('-o, --output <file>', 'write here ("-" for stdout); default: rewrite <file> in place'),
    ),
  ).action(
    action(async (path: string, options: EnvOptions) => {
      const file = await readEnvFile(path);
      const count = countKind(file, 'enc');
      // Only enc(…) lines go to the server: secret(…) lines stay references, never resolved into this file.
      const replaced = await withProgress(`storing ${count} values in ${options.namespace}…`, async () =>
        transformLines(await clientInMode(options), options.namespace, file, ['enc']),
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
    withClientSide(
      env
        .command('resolve <file>')
        .description('replace every X=secret(NAME[, version=N]) with its value; other lines are kept')
        .addOption(namespaceOption())
        .option('-o, --output <file>', 'write here (mode 0600); default: stdout'),
    ),
  ).action(
    action(async (path: string, options: EnvOptions) => {
      const file = await readEnvFile(path);
      refuseEncLines(file);
      const count = countKind(file, 'secret');
      const replaced = await withProgress(`resolving ${count} references…`, async () =>
        transformLines(await clientInMode(options), options.namespace, file, ['secret']),
      );
      const content = renderEnvFile(file, replaced);
      const target = options.output ?? '-';
      if (options.json && target === '-')
        return printJson({ namespace: options.namespace, resolved: count, content });
      emit(target, content);
      if (options.json) printJson({ output: target, namespace: options.namespace, resolved: count });
    }),
  );

  registerEnvImport(env);
}

/**
 * `dsv env import FILE -n NS [--update]`: every variable of a plain .env file (read as `dsv run` reads plain
 * lines: Node's dotenv reader) becomes the secret of that name. Without --update nothing is written when any
 * of them exists already (checked first); with it, existing ones get a new version.
 */
function registerEnvImport(env: Command): void {
  withConnection(
    env
      .command('import <file>')
      .description(
        'store every NAME=value of a plain .env file as secret NAME (refuses existing ones without --update)',
      )
      .addOption(namespaceOption())
      .option('--update', 'write a new version of secrets that exist already'),
  ).action(
    action(async (path: string, options: ConnectionOptions & { namespace: string; update?: boolean }) => {
      const file = await readEnvFile(path);
      const dsvLines = file.lines.filter((line) => line.kind !== 'plain');
      if (dsvLines.length > 0)
        throw new DsvError(
          'DSV_ENV_INVALID',
          `line ${dsvLines[0]?.number}: enc(…)/secret(…) lines are not plain values: use dsv env encrypt for enc(…)`,
          { details: { line: dsvLines[0]?.number ?? 0 } },
        );
      const variables = Object.entries(parseEnv(renderEnvFile(file, new Map())));
      const client = clientFor(options);
      const existing = new Set(await listAll(client, options.namespace));
      const taken = variables.filter(([name]) => existing.has(name)).map(([name]) => name);
      if (!options.update && taken.length > 0)
        throw new DsvError(
          'DSV_SECRET_EXISTS',
          `already in ${options.namespace}: ${taken.slice(0, 5).join(', ')}${taken.length > 5 ? ', …' : ''}; nothing was stored (pass --update to write new versions)`,
        );
      const stored: string[] = [];
      await withProgress(
        `importing ${variables.length} values into ${options.namespace}…`,
        async (progress) => {
          for (const [name, value] of variables) {
            try {
              await client.request('PUT', `/v2/secrets/${segment(options.namespace)}/${segment(name)}`, {
                json: { value: value ?? '' },
                ...(options.update ? {} : { headers: { 'if-none-match': '*' } }),
              });
            } catch (error) {
              if (stored.length > 0 && error instanceof DsvError)
                error.message = `${error.message} (at ${name}; already stored: ${stored.join(', ')})`;
              throw error;
            }
            stored.push(name);
            progress.update(`importing… ${stored.length}/${variables.length}`);
          }
        },
      );
      const updated = stored.filter((name) => existing.has(name)).length;
      if (options.json)
        return printJson({ namespace: options.namespace, created: stored.length - updated, updated });
      console.error(
        `imported ${stored.length} secrets into ${options.namespace} (${stored.length - updated} created, ${updated} updated)`,
      );
    }),
  );
}

/** A file is replaced whole or not at all (temp file, fsync, rename), readable by its owner only. */
function emit(target: string, content: string): void {
  if (target === '-') process.stdout.write(content);
  else writePrivateFile(target, content);
}
