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

/** A tenant's name, wherever a request names one (DESIGN §9): 1-128 letters, digits, '.', '_' or '-'. */
const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isTenantName(value: unknown): value is string {
  return typeof value === 'string' && TENANT_NAME.test(value);
}

/** `value` as a tenant name, or a 400 that says what a tenant name is. */
export function requireTenantName(value: unknown, what = 'tenant'): string {
  if (!isTenantName(value)) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `${what} must be 1-128 characters of letters, digits, '.', '_' or '-'`,
    );
  }
  return value;
}

/**
 * The caller of a route that answers for a tenant named in its query (`?tenant=`), authenticated for that
 * tenant (I-G1 first; I-T4: root's `can` then weighs that tenant's approvals, never the default tenant's; a
 * tenant token naming another tenant is refused by authentication itself, I-T1). Only root, or the tenant's
 * admin, passes.
 */
export async function tenantQueryCaller(
  authenticator: RequestAuthenticator,
  request: FastifyRequest,
  requested: string | undefined,
): Promise<Caller> {
  const valid = requested === undefined || isTenantName(requested);
  const caller = await authenticator.authenticate(request, valid ? requested : undefined);
  if (!valid) requireTenantName(requested);
  if (!caller.root && !caller.can('admin', '*', '*'))
    throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
  return caller;
}

/** Administration (keys, tenants, tokens, policies, dev node control) needs a root token, in dev mode too. */
export function requireAdmin(caller: Caller): void {
  if (!caller.root) {
    throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied: administration needs a root token');
  }
}
