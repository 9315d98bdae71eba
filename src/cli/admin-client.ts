// How the CLI talks to a node's admin API: JSON in and out, errors printed with their stable code.
import { DsvError, isErrorCode } from '../errors/index.ts';
import { resolveConnection } from './client/connection.ts';
import { fetchWithFailover } from './client/failover.ts';

export const DEFAULT_URL = process.env.DSV_URL ?? 'http://127.0.0.1:8080';

export async function callNode(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  explicitToken?: string,
): Promise<unknown> {
  // The same credentials as every client command: --token/DSV_TOKEN, else the login stored for this URL;
  // the login's other nodes when this one cannot be reached.
  const { token, fallbacks } = resolveConnection({
    url,
    ...(explicitToken === undefined ? {} : { token: explicitToken }),
  });
  const { response } = await fetchWithFailover([url, ...(fallbacks ?? [])], (base) =>
    fetch(new URL(path, base), {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    }),
  );
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (response.ok) return parsed;
  const code = response.headers.get('x-dsv-error-code') ?? '';
  const message = (parsed as { message?: unknown } | undefined)?.message;
  let described = typeof message === 'string' ? message : `HTTP ${response.status}`;
  if (code === 'DSV_AUTH_REQUIRED' && token === undefined)
    described += ` (no token for ${url}: run dsv login, or pass --token / DSV_TOKEN)`;
  throw new DsvError(isErrorCode(code) ? code : 'DSV_INTERNAL', described);
}

/** An error that ends the CLI with this exit code instead of 1 (130 for Ctrl-C, 127 for a missing command). */
export function withExitCode<E extends Error>(error: E, exitCode: number): E {
  return Object.assign(error, { exitCode });
}

/** `--json` on the command line (before a `--`, after which the words belong to `dsv run`'s command). */
export function jsonRequested(argv: readonly string[] = process.argv.slice(2)): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Prints an error the way every dsv command does: `error [CODE]: message` on stderr, or with `--json` one
 * JSON document `{"error":{"code","message"}}` on stderr; exit code 1 unless the error carries another.
 */
export function reportAndExit(error: unknown): never {
  const code = error instanceof DsvError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (jsonRequested()) console.error(JSON.stringify({ error: { code: code ?? 'DSV_INTERNAL', message } }));
  else if (code !== undefined) console.error(`error [${code}]: ${message}`);
  else console.error(`error: ${message}`);
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode;
  process.exit(typeof exitCode === 'number' ? exitCode : 1);
}
