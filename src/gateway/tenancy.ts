// Who is calling: the gateway's authentication port. The control context implements it with tokens and
// policies; a dev-mode node lets calls without a token act on the default tenant (DESIGN §9, I-G1).
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../control/index.ts';
import { DsvError } from '../errors/index.ts';

export type { Caller };

export interface RequestAuthenticator {
  /** Rejects with 401 (no or bad token); `tenant` is the tenant named by the API, if it names one. */
  authenticate(request: FastifyRequest, tenant?: string): Promise<Caller>;
}

export const DEV_TENANT = 'default';

/** Administration (keys, tenants, tokens, policies, dev node control) needs a root token, in dev mode too. */
export function requireAdmin(caller: Caller): void {
  if (!caller.root) {
    throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied: administration needs a root token');
  }
}
