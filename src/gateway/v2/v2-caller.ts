// Authentication of v2 secret requests in `onRequest`, before the body is parsed or validated (I-G1): an
// unauthenticated caller learns nothing from validation errors and costs no body parsing.
import type { FastifyRequest } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';
import { DsvError } from '../../errors/index.ts';
import { isTenantName, type Caller } from '../tenancy.ts';
import type { V2Context } from './v2-context.ts';

const callers = new WeakMap<FastifyRequest, Caller>();

/** `X-DSV-Tenant`: the tenant a root token acts on (I-T4: under that tenant's approvals); a tenant token's own. */
export const TENANT_HEADER = 'x-dsv-tenant';

function tenantHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[TENANT_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isTenantName(value)) {
    throw new DsvError('DSV_INPUT_INVALID', `${TENANT_HEADER} must name one tenant`);
  }
  return value;
}

/** The route-level `onRequest` hook: authenticates and notes the caller for the audit trail (I-A1). */
export function authenticateV2(context: V2Context) {
  return async (request: FastifyRequest): Promise<void> => {
    // A tenant token naming another tenant is refused by authentication itself (I-T1).
    const caller = await context.authenticator.authenticate(request, tenantHeader(request));
    callers.set(request, caller);
    noteAuditSubject(request, { tenant: caller.tenant, accessor: caller.accessor });
  };
}

/** The caller `authenticateV2` found; a route without the hook is a bug, never an anonymous call. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  if (!caller) throw new DsvError('DSV_INTERNAL', 'A v2 route ran without authentication');
  return caller;
}
