// JSON over HTTP for the library: one call, its problem+json answer as a DsvClientError, and whether a failed
// call provably never left this machine (then the same request may go to another node).
import { DsvClientError, problemError } from './client-error.ts';

/** The part of the WHATWG fetch the library uses; the global `fetch` by default (TLS: NODE_EXTRA_CA_CERTS). */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface CallOptions {
  readonly method?: string;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** Cancels the call (a hedged read that got its shares first). */
  readonly signal?: AbortSignal;
}

/** Connection failures that prove nothing was sent: the same request may go to another node. */
const NOT_SENT = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'];
const NOT_SENT_UNDICI = 'UND_ERR_CONNECT_TIMEOUT';

function failureCode(error: unknown): string | undefined {
  for (let cause: unknown = error, depth = 0; depth < 6; depth++) {
    if (typeof cause !== 'object' || cause === null) return undefined;
    const { code, errors } = cause as { code?: unknown; errors?: unknown };
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
    cause = first ?? (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

const unsent = new WeakSet<DsvClientError>();

/** True when the request behind this error never reached the node (safe to send elsewhere). */
export const neverSent = (error: unknown): boolean => error instanceof DsvClientError && unsent.has(error);

function unreachable(url: URL, error: unknown): DsvClientError {
  const code =
    failureCode(error) ?? ((error as { name?: unknown }).name === 'TimeoutError' ? 'timeout' : undefined);
  const failure = new DsvClientError(
    'DSV_NODE_UNAVAILABLE',
    `Cannot reach ${url.origin} (${code ?? 'no answer'})`,
    {
      cause: error,
    },
  );
  if (code !== undefined && (NOT_SENT.includes(code) || code === NOT_SENT_UNDICI)) unsent.add(failure);
  return failure;
}

export class Http {
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(fetchImpl: FetchLike, timeoutMs: number) {
    this.#fetch = fetchImpl;
    this.#timeoutMs = timeoutMs;
  }

  /** One call; resolves with the parsed JSON body (undefined when empty), rejects with a DsvClientError. */
  async call<T>(base: string, path: string, options: CallOptions = {}): Promise<T> {
    const url = new URL(path, base);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: options.method ?? (options.json === undefined ? 'GET' : 'POST'),
        headers,
        ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
        signal,
      });
      text = await response.text();
    } catch (error) {
      throw unreachable(url, error);
    }
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined; // a proxy's HTML error page: the status says enough
    }
    if (!response.ok) throw problemError(response.status, body);
    return body as T;
  }
}
