// "Cannot reach URL" with the cause (refused, DNS, TLS, timeout) and what to do about it.
import { DsvError } from '../../errors/index.ts';

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$)/;

/** The first `code` (or a timeout's name) along an error's cause chain, AggregateError members included. */
function causeCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 8) return undefined;
  const { code, name, cause, errors } = error as {
    code?: unknown;
    name?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  if (name === 'TimeoutError') return 'ETIMEDOUT';
  const inner = causeCode(cause, depth + 1);
  if (inner !== undefined) return inner;
  if (Array.isArray(errors))
    for (const member of errors as unknown[]) {
      const found = causeCode(member, depth + 1);
      if (found !== undefined) return found;
    }
  return typeof code === 'string' ? code : undefined;
}

function innermostMessage(error: unknown): string {
  let message = 'no answer';
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause)
    message = e.message;
  return message;
}

/** Why a request to `url` never got an answer, in words, with a hint. */
export function describeUnreachable(url: string, error: unknown): string {
  const code = causeCode(error);
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the URL as given
  }
  const where = 'check --url, DSV_URL or the login (dsv login --url)';
  if (code === 'ECONNREFUSED')
    return `Cannot reach ${url}: connection refused (nothing listens on ${host}). Is the cluster running (npx dsv dev)? Otherwise ${where}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return `Cannot reach ${url}: host not found (DNS lookup of ${host} failed): ${where}`;
  if (code !== undefined && TLS_CODE.test(code))
    return `Cannot reach ${url}: TLS failed (${code}). Check http:// vs https://; for a private CA set NODE_EXTRA_CA_CERTS=ca/ca.crt`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return `Cannot reach ${url}: no answer in time (timeout). Is the node overloaded or behind a firewall? Otherwise ${where}`;
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return `Cannot reach ${url}: the connection was closed (${code}). Check http:// vs https://, or ${where}`;
  return `Cannot reach ${url} (${code ?? innermostMessage(error)}): ${where}`;
}

/** Failures before the request left this machine (no connection made): safe to send it to another node. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function neverSent(error: unknown): boolean {
  const code = causeCode(error);
  return code !== undefined && NEVER_SENT.has(code);
}

/** A short cause for a note ("connection refused"), without the hint. */
export function shortCause(error: unknown): string {
  const code = causeCode(error);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'host not found';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout';
  return code ?? 'no answer';
}

export function unreachable(url: string, error: unknown): DsvError {
  return new DsvError('DSV_NODE_UNAVAILABLE', describeUnreachable(url, error), { cause: error });
}
