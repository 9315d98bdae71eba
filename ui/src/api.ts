// Every call the console makes: same origin, the session cookie (HttpOnly, never visible here) and the
// console header the node requires on cookie-authenticated requests (CSRF). Errors are problem+json.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiReply<T> {
  readonly status: number;
  readonly body: T;
  readonly etag: string | null;
}

export async function api<T = unknown>(
  method: string,
  path: string,
  options: { json?: unknown; text?: string; headers?: Record<string, string> } = {},
): Promise<ApiReply<T>> {
  const headers: Record<string, string> = { 'x-dsv-console': '1', ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.text !== undefined) {
    headers['content-type'] = 'text/plain';
    body = options.text;
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    const problem = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const field = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    const code = field(problem.code) ?? response.headers.get('x-dsv-error-code') ?? `HTTP_${response.status}`;
    const message =
      field(problem.detail) ?? field(problem.message) ?? field(problem.title) ?? response.statusText;
    if (response.status === 401) window.dispatchEvent(new CustomEvent('dsv-signed-out'));
    throw new ApiError(response.status, code, message);
  }
  return { status: response.status, body: parsed as T, etag: response.headers.get('etag') };
}

export const seg = encodeURIComponent;

/** A human sentence for an error: a 403 says so plainly. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Forbidden (403): your token may not do this. ${error.message}`;
    return `${error.message} (${error.status} ${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}
