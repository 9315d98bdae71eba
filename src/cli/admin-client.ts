// How the CLI talks to a node's admin API: JSON in and out, errors printed with their stable code.
import { DsvError, isErrorCode } from '../errors/index.ts';
import { resolveConnection } from './client/connection.ts';

export const DEFAULT_URL = process.env.DSV_URL ?? 'http://127.0.0.1:8080';

export async function callNode(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  // The same credentials as every client command: --token/DSV_TOKEN, else the login stored for this URL.
  const { token } = resolveConnection({ url });
  try {
    response = await fetch(new URL(path, url), {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new DsvError('DSV_NODE_UNAVAILABLE', `Cannot reach ${url}`, { cause: error });
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (response.ok) return parsed;
  const code = response.headers.get('x-dsv-error-code') ?? '';
  const message = (parsed as { message?: unknown } | undefined)?.message;
  throw new DsvError(
    isErrorCode(code) ? code : 'DSV_INTERNAL',
    typeof message === 'string' ? message : `HTTP ${response.status}`,
  );
}

/** Prints an error the way every dsv command does: `error [CODE]: message`, exit code 1. */
export function reportAndExit(error: unknown): never {
  if (error instanceof DsvError) console.error(`error [${error.code}]: ${error.message}`);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
