// Sends the chosen lines of a .env file to POST /v2/env:transform (all-or-nothing on the server) and turns a
// resolved file into variables for `dsv run` — in memory only.
import { parseEnv } from 'node:util';
import { DsvClient } from '../../../client/index.ts';
import { DsvError } from '../../errors/index.ts';
import { pairOutput, transformRequest, type EnvFile, type EnvLineKind } from './env-lines.ts';
import type { V2Client } from './v2-client.ts';

/**
 * Transformed text of each chosen line, by line number; no request when there is nothing to transform. With
 * the client library (client-side mode) the same request text is transformed on this machine instead: one
 * intent for the file, values split and combined here.
 */
export async function transformLines(
  client: V2Client | DsvClient,
  namespace: string,
  file: EnvFile,
  kinds: readonly EnvLineKind[],
): Promise<Map<number, string>> {
  if (!file.lines.some((line) => kinds.includes(line.kind))) return new Map();
  const request = transformRequest(file, kinds);
  if (client instanceof DsvClient)
    return pairOutput(file, kinds, await client.transformEnv(namespace, request));
  const response = await client.request('POST', '/v2/env:transform', {
    query: { namespace },
    text: request,
    headers: { accept: 'text/plain, application/problem+json' },
  });
  return pairOutput(file, kinds, response.text);
}

const stripExport = (key: string): string => key.trim().replace(/^export\s+/, '');

/**
 * A resolved `X=value` line as the server writes it (src/kernel/env/env-quoting.ts): bare, or one
 * JSON-escaped double-quoted string (values with line breaks, `#`, quotes or edge blanks).
 */
export function parseResolvedLine(line: string): [string, string] {
  const equals = line.indexOf('=');
  if (equals < 0) throw new DsvError('DSV_INTERNAL', 'The server returned a line without "="');
  const raw = line.slice(equals + 1);
  let value = raw;
  if (raw.startsWith('"')) {
    try {
      value = JSON.parse(raw) as string;
    } catch {
      throw new DsvError('DSV_INTERNAL', 'The server returned a malformed quoted value');
    }
  }
  return [stripExport(line.slice(0, equals)), value];
}

/**
 * Every variable of the file: plain lines read with Node's dotenv reader (`util.parseEnv`: quotes,
 * `export`, comments, multi-line double quotes), resolved lines as the server quoted them. A name defined
 * by both is refused, as the server refuses duplicate keys.
 */
export function environmentOf(file: EnvFile, resolved: ReadonlyMap<number, string>): Map<string, string> {
  const plainText = file.lines
    .map((line) => (line.kind === 'plain' ? line.text : '') + line.separator)
    .join('');
  const variables = new Map(Object.entries(parseEnv(plainText)).map(([k, v]) => [k, v ?? '']));
  for (const [number, line] of resolved) {
    const [key, value] = parseResolvedLine(line);
    if (variables.has(key)) {
      throw new DsvError('DSV_ENV_INVALID', `Duplicate key in .env file: ${key}`, {
        details: { line: number, key },
      });
    }
    variables.set(key, value);
  }
  return variables;
}
