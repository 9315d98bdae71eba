// The CLI's HTTP client for the v2 API: bearer token, JSON or text bodies, problem+json errors → DsvError.
import { DsvError, isErrorCode } from '../../errors/index.ts';
import { fetchWithFailover } from './failover.ts';

export interface Connection {
  readonly url: string;
  /** Absent when neither --token, DSV_TOKEN nor a login for this URL supplied one. */
  readonly token: string | undefined;
  /** The login's other nodes, tried in order when `url` cannot be reached (nothing was sent). */
  readonly fallbacks?: readonly string[];
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | undefined>;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Record<string, string>;
}

export interface V2Response {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** One path segment, percent-encoded: `%2F` stays part of a name (v2 README, "Names in the path"). */
export const segment = (value: string): string => encodeURIComponent(value);

export class V2Client {
  readonly connection: Connection;
  readonly #timeoutMs: number;
  /** The node URLs to try, the one that last answered first. */
  #bases: string[];

  constructor(connection: Connection, timeoutMs = 120_000) {
    this.connection = connection;
    this.#timeoutMs = timeoutMs;
    this.#bases = [connection.url, ...(connection.fallbacks ?? [])];
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<V2Response> {
    const urlAt = (base: string): URL => {
      const url = new URL(path, base);
      for (const [key, value] of Object.entries(options.query ?? {})) {
        if (value !== undefined) url.searchParams.set(key, String(value));
      }
      return url;
    };
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.connection.token !== undefined) headers.authorization = `Bearer ${this.connection.token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.text !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      body = options.text;
    }
    const { response, base } = await fetchWithFailover(this.#bases, (at) =>
      fetch(urlAt(at), {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      }),
    );
    this.#bases = [base, ...this.#bases.filter((other) => other !== base)];
    const text = await response.text();
    const parsed = parseBody(response, text);
    if (!response.ok) throw toError(response, parsed, this.connection);
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.request(method, path, options)).body as T;
  }
}

function parseBody(response: Response, text: string): unknown {
  const type = response.headers.get('content-type') ?? '';
  if (!text || !/json/.test(type)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** problem+json carries `code` and `detail` (v1-style admin routes: `message` and the code header). */
function toError(response: Response, body: unknown, connection: Connection): DsvError {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const rawCode = typeof problem.code === 'string' ? problem.code : response.headers.get('x-dsv-error-code');
  const code = rawCode !== null && isErrorCode(rawCode) ? rawCode : 'DSV_INTERNAL';
  const detail = typeof problem.detail === 'string' ? problem.detail : problem.message;
  let message = typeof detail === 'string' ? detail : `HTTP ${response.status}`;
  if (code === 'DSV_AUTH_REQUIRED' && connection.token === undefined) {
    message += ` (no token for ${connection.url}: run dsv login, or pass --token / DSV_TOKEN)`;
  }
  const details = problem.details as Record<string, string | number> | undefined;
  return new DsvError(code, message, details === undefined ? {} : { details });
}

/** Every name of a namespace that the token may list, all pages. */
export async function listAll(client: V2Client, namespace: string): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.json<{ names: string[]; next?: string }>(
      'GET',
      `/v2/secrets/${segment(namespace)}`,
      {
        query: { limit: 1000, cursor },
      },
    );
    found.push(...page.names);
    cursor = page.next;
  } while (cursor !== undefined);
  return found;
}
