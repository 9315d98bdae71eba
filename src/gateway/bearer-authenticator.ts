// The HTTP side of authentication: the bearer token from the Authorization header, and whether a token-less
// request may be anonymous on a dev node. The control context then decides who the token is (I-T1, I-T2).
import type { FastifyRequest } from 'fastify';
import type { Caller, TokenAuthenticator } from '../control/index.ts';
import type { RequestAuthenticator } from './tenancy.ts';

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|localhost|\[::1\])(:\d+)?$/i;

/**
 * The dev-mode convenience (DESIGN §9): token-less calls only to the v1 secret API, judged by the route the
 * router matched (never the raw URL, which `%76` could disguise), only from local tools — a loopback Host
 * (no DNS rebinding) and no Origin header (no cross-site request from a web page).
 */
export function anonymousAllowed(request: FastifyRequest): boolean {
  const route = (request.routeOptions as { url?: string } | undefined)?.url ?? '';
  const host = request.headers.host ?? '';
  return (
    route.startsWith('/api/v1/secrets') && LOOPBACK_HOST.test(host) && request.headers.origin === undefined
  );
}

/**
 * Client-side mode (issue #9): instead of its bearer token a client may send each node only the credential
 * derived for that node, HMAC(token, cluster ‖ node) (I-G3). The node authenticates the caller as fully as by
 * the token, but holds nothing it could use at another node: such a caller cannot be forwarded, so what needs
 * other nodes to vouch for the client (endorsements, server-side shard fetches) is refused for it, and the
 * client gathers those itself.
 */
export const NODE_CREDENTIAL_HEADER = 'x-dsv-node-credential';

export function nodeCredentialOf(request: FastifyRequest): string | undefined {
  const value = request.headers[NODE_CREDENTIAL_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A RequestAuthenticator over the control context's token authentication. */
export class BearerAuthenticator implements RequestAuthenticator {
  readonly #tokens: Pick<TokenAuthenticator, 'authenticateToken' | 'authenticateForwarded'>;

  constructor(tokens: Pick<TokenAuthenticator, 'authenticateToken' | 'authenticateForwarded'>) {
    this.#tokens = tokens;
  }

  authenticate(request: FastifyRequest, tenant?: string): Promise<Caller> {
    const token = bearerToken(request);
    const credential = token === undefined ? nodeCredentialOf(request) : undefined;
    if (credential !== undefined)
      return this.#tokens.authenticateForwarded({ kind: 'token', credential }, tenant);
    return this.#tokens.authenticateToken(token, {
      ...(tenant === undefined ? {} : { tenant }),
      anonymousAllowed: token === undefined && anonymousAllowed(request),
    });
  }
}
