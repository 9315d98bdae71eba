// JSON over HTTP for the library: bearer calls to any node (with failover to the next node while a request
// provably never left), holder calls with a per-holder credential, problem+json answers as DsvClientError.
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

/** Calls to any node with the bearer token: the node that answered last first, the others while unsent. */
export class Coordinators {
  readonly #http: Http;
  readonly #token: string;
  #bases: string[];

  constructor(http: Http, token: string, bases: readonly string[]) {
    this.#http = http;
    this.#token = token;
    this.#bases = [...new Set(bases)];
  }

  /** Node URLs learned later (the topology) join the end of the list. */
  learn(urls: readonly string[]): void {
    for (const url of urls) if (!this.#bases.includes(url)) this.#bases.push(url);
  }

  async call<T>(path: string, options: CallOptions = {}): Promise<T> {
    let last: DsvClientError | undefined;
    for (const base of this.#bases) {
      try {
        const answer = await this.at<T>(base, path, options);
        this.#bases = [base, ...this.#bases.filter((other) => other !== base)];
        return answer;
      } catch (error) {
        if (!neverSent(error)) throw error;
        last = error as DsvClientError;
      }
    }
    throw last ?? new DsvClientError('DSV_INPUT_INVALID', 'No node URL to call');
  }

  /** A call to one node only (the commit goes to the node that ordered the write). */
  at<T>(base: string, path: string, options: CallOptions = {}): Promise<T> {
    return this.#http.call<T>(base, path, {
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${this.#token}` },
    });
  }
}
