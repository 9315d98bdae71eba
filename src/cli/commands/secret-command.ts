// `dsv secret put|get|versions|delete|list|export`: the v2 secret routes from the command line.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import {
  clientFor,
  dsvClientFor,
  usesClientSide,
  withClientSide,
  withConnection,
  type ConnectionOptions,
  type ModeOptions,
} from '../client/connection.ts';
import { instant, namespaceOption, positiveInteger } from '../client/option-parsers.ts';
import { action, printJson, printTable } from '../client/output.ts';
import { withProgress } from '../client/progress.ts';
import { readSecretInput, readStdinBytes } from '../client/read-input.ts';
import { writePrivateFile } from '../client/private-file.ts';
import { listAll, segment } from '../client/v2-client.ts';
import { formatDotenvValue } from '../../kernel/env/env-quoting.ts';

interface SecretRead {
  namespace: string;
  name: string;
  value: string;
  /** `base64` when the stored bytes are not UTF-8 text. */
  encoding?: 'base64';
  version: number;
  validFrom: string;
  validTo: string | null;
}
interface VersionsBody {
  namespace: string;
  name: string;
  versions: Array<{ version: number; validFrom: string; validTo: string | null }>;
}

const secretPath = (namespace: string, name: string) => `/v2/secrets/${segment(namespace)}/${segment(name)}`;

type PutOptions = ModeOptions & {
  fromFile?: string;
  createOnly?: boolean;
  ifVersion?: number;
  idempotencyKey?: string;
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The PUT body for these bytes: the text when they are UTF-8, else base64 saying so (never re-encoded). */
export function putBody(bytes: Uint8Array): { value: string; encoding?: 'base64' } {
  try {
    return { value: strictUtf8.decode(bytes) };
  } catch {
    return { value: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
  }
}

/** The bytes of a read value, whichever way the API sent them. */
export function readBytes(read: { value: string; encoding?: string }): Buffer {
  return read.encoding === 'base64' ? Buffer.from(read.value, 'base64') : Buffer.from(read.value, 'utf8');
}

async function valueToStore(
  value: string | undefined,
  options: PutOptions,
): Promise<{ value: string; encoding?: 'base64' }> {
  if (value !== undefined && options.fromFile !== undefined) {
    throw new DsvError('DSV_INPUT_INVALID', 'Give the value as an argument or with --from-file, not both');
  }
  if (value !== undefined) return { value };
  if (options.fromFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = await readFile(options.fromFile);
    } catch (error) {
      throw new DsvError('DSV_INPUT_INVALID', `Cannot read ${options.fromFile}`, { cause: error });
    }
    return putBody(bytes);
  }
  if (!process.stdin.isTTY) return putBody(await readStdinBytes());
  return { value: await readSecretInput('Value: ', false) };
}

export function registerSecretCommand(program: Command): void {
  const secret = program.command('secret').description('store, read, list and delete secrets (v2 API)');

  withConnection(
    withClientSide(
      secret
        .command('put <namespace> <name> [value]')
        .description(
          'store a new version (value from the argument, --from-file, a prompt or stdin, verbatim)',
        )
        .option('--from-file <file>', 'read the value from a file, byte for byte')
        .option('--create-only', 'fail with DSV_SECRET_EXISTS if the secret exists')
        .option('--if-version <n>', 'compare-and-set: only if the latest version is n', positiveInteger)
        .option('--idempotency-key <key>', 'a retry with the same key replays the first answer'),
    ),
  ).action(
    action(async (namespace: string, name: string, value: string | undefined, options: PutOptions) => {
      if (options.createOnly && options.ifVersion !== undefined) {
        throw new DsvError('DSV_INPUT_INVALID', '--create-only and --if-version exclude each other');
      }
      if (usesClientSide(options)) return putClientSide(namespace, name, value, options);
      const headers: Record<string, string> = {};
      if (options.createOnly) headers['if-none-match'] = '*';
      if (options.ifVersion !== undefined) headers['if-match'] = `"${options.ifVersion}"`;
      if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
      const json = await valueToStore(value, options);
      const response = await clientFor(options).request('PUT', secretPath(namespace, name), {
        json,
        headers,
      });
      const body = response.body as { version: number; created?: boolean; unchanged?: boolean };
      const outcome = body.created ? 'created' : body.unchanged ? 'unchanged' : 'updated';
      if (options.json) return printJson({ namespace, name, version: body.version, outcome });
      console.log(`${outcome} ${namespace}/${name} version ${body.version}`);
    }),
  );

  withConnection(
    withClientSide(
      secret
        .command('get <namespace> <name>')
        .description('print the value, exactly as stored (a newline is added only on a terminal)')
        .option('--version <n>', 'a specific version', positiveInteger)
        .option('--as-of <time>', 'the version that was current at this time (RFC 3339)', instant)
        .option('--to-file <file>', 'write the value to a file (mode 0600), byte for byte'),
    ),
  ).action(
    action(
      async (
        namespace: string,
        name: string,
        options: ModeOptions & { version?: number; asOf?: string; toFile?: string },
      ) => {
        if (options.version !== undefined && options.asOf !== undefined) {
          throw new DsvError('DSV_INPUT_INVALID', '--version and --as-of exclude each other');
        }
        const read = usesClientSide(options)
          ? await getClientSide(namespace, name, options)
          : await clientFor(options).json<SecretRead>('GET', secretPath(namespace, name), {
              query: { version: options.version, asOf: options.asOf },
            });
        const bytes = readBytes(read);
        if (options.toFile !== undefined) {
          writePrivateFile(options.toFile, bytes);
          if (options.json)
            return printJson({ namespace, name, version: read.version, output: options.toFile });
          return;
        }
        if (options.json) return printJson(read);
        const newline = process.stdout.isTTY && bytes.at(-1) !== 0x0a ? '\n' : '';
        process.stdout.write(newline === '' ? bytes : Buffer.concat([bytes, Buffer.from(newline)]));
      },
    ),
  );

  withConnection(
    secret
      .command('versions <namespace> <name>')
      .description('every version with its validity interval (no values)'),
  ).action(
    action(async (namespace: string, name: string, options: ConnectionOptions) => {
      const body = await clientFor(options).json<VersionsBody>(
        'GET',
        `${secretPath(namespace, name)}/versions`,
      );
      if (options.json) return printJson(body);
      printTable([
        ['VERSION', 'VALID FROM', 'VALID TO'],
        ...body.versions.map((v) => [String(v.version), v.validFrom, v.validTo ?? 'current']),
      ]);
    }),
  );

  withConnection(
    secret
      .command('delete <namespace> <name>')
      .description('delete the secret and every version (shards destroyed on every holder)')
      .option('--if-version <n>', 'only if the latest version is n', positiveInteger),
  ).action(
    action(async (namespace: string, name: string, options: ConnectionOptions & { ifVersion?: number }) => {
      const headers: Record<string, string> =
        options.ifVersion === undefined ? {} : { 'if-match': `"${options.ifVersion}"` };
      await clientFor(options).request('DELETE', secretPath(namespace, name), { headers });
      if (options.json) return printJson({ namespace, name, deleted: true });
      console.log(`deleted ${namespace}/${name}`);
    }),
  );

  withConnection(
    secret
      .command('list <namespace>')
      .description('names in a namespace that the token may list, every page')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--page-size <n>', 'names per request (1-1000)', positiveInteger, 1000),
  ).action(
    action(async (namespace: string, options: ConnectionOptions & { prefix?: string; pageSize: number }) => {
      const client = clientFor(options);
      const names = await withProgress(`listing ${namespace}…`, async (progress) => {
        const found: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.json<{ names: string[]; next?: string }>(
            'GET',
            `/v2/secrets/${segment(namespace)}`,
            {
              query: { prefix: options.prefix, limit: Math.min(options.pageSize, 1000), cursor },
            },
          );
          found.push(...page.names);
          cursor = page.next;
          progress.update(`listing ${namespace}… ${found.length} names`);
        } while (cursor !== undefined);
        return found;
      });
      if (options.json) return printJson({ namespace, names });
      if (names.length > 0) process.stdout.write(`${names.join('\n')}\n`);
    }),
  );

  withConnection(
    secret
      .command('export')
      .description('every secret of a namespace (latest versions) as a .env file or a JSON object')
      .addOption(namespaceOption())
      .addOption(new Option('--format <format>', 'env or json').choices(['env', 'json']).default('env'))
      .option('-o, --output <file>', 'write here (mode 0600, whole or not at all); default: stdout'),
    { json: false }, // --format json is the JSON output
  ).action(
    action(
      async (options: ConnectionOptions & { namespace: string; format: 'env' | 'json'; output?: string }) => {
        const client = clientFor(options);
        const values = await withProgress(`exporting ${options.namespace}…`, async (progress) => {
          const names = await listAll(client, options.namespace);
          const found = new Map<string, string>();
          for (const name of names) {
            const read = await client.json<SecretRead>('GET', secretPath(options.namespace, name));
            if (read.encoding === 'base64')
              throw new DsvError(
                'DSV_INPUT_INVALID',
                `${name} is not UTF-8 text and cannot be exported; read it with dsv secret get --to-file`,
              );
            found.set(name, read.value);
            progress.update(`exporting ${options.namespace}… ${found.size}/${names.length}`);
          }
          return found;
        });
        let content: string;
        if (options.format === 'json') content = `${JSON.stringify(Object.fromEntries(values), null, 2)}\n`;
        else {
          const bad = [...values.keys()].filter((name) => !ENV_KEY.test(name));
          if (bad.length > 0)
            throw new DsvError(
              'DSV_INPUT_INVALID',
              `not usable as .env keys: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''} (use --format json)`,
            );
          content = [...values].map(([name, value]) => `${name}=${formatDotenvValue(value)}\n`).join('');
        }
        if (options.output === undefined) process.stdout.write(content);
        else {
          writePrivateFile(options.output, content);
          console.error(`exported ${values.size} secrets of ${options.namespace} to ${options.output}`);
        }
      },
    ),
  );
}

/** `secret put --client-side`: the value is split here (client/); the same output as the server path. */
async function putClientSide(
  namespace: string,
  name: string,
  value: string | undefined,
  options: PutOptions,
): Promise<void> {
  const bytes = readBytes(await valueToStore(value, options));
  try {
    const result = await (
      await dsvClientFor(options)
    ).put(namespace, name, bytes, {
      ...(options.createOnly ? { ifNoneMatch: '*' as const } : {}),
      ...(options.ifVersion === undefined ? {} : { ifMatch: options.ifVersion }),
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    });
    const outcome = result.created ? 'created' : result.unchanged ? 'unchanged' : 'updated';
    if (options.json) return printJson({ namespace, name, version: result.version, outcome });
    console.log(`${outcome} ${namespace}/${name} version ${result.version}`);
  } finally {
    bytes.fill(0);
  }
}

/** `secret get --client-side`: combined here from the holders' shards, shaped as the v2 answer. */
async function getClientSide(
  namespace: string,
  name: string,
  options: ConnectionOptions & { version?: number; asOf?: string },
): Promise<SecretRead> {
  const read = await (
    await dsvClientFor(options)
  ).get(namespace, name, {
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
  });
  const body = putBody(read.value);
  read.value.fill(0);
  const { version, validFrom, validTo } = read;
  return {
    namespace: namespace.normalize('NFC'),
    name: name.normalize('NFC'),
    ...body,
    version,
    validFrom,
    validTo,
  };
}

/** A .env key every dotenv reader takes: letters, digits and `_`, not starting with a digit (`.`/`-` too). */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
