// What each route is, for the audit trail (I-A1): the operation name and whether its success body carries
// secret material (then it is sent only after its record is durable). Handlers add the secret path.
import type { FastifyRequest } from 'fastify';
import { auditSubjectOf, noteAuditSubject, type AuditClassification } from '../audit/index.ts';
import { approvalAuditTarget } from '../control/index.ts';

interface RouteClass {
  readonly operation: string;
  readonly carriesSecret: boolean;
}

function classifyRoute(method: string, route: string): RouteClass {
  if (route === '/health' || route === '/livez') return { operation: 'health', carriesSecret: false };
  if (route === '/readyz') return { operation: 'readiness', carriesSecret: false };
  if (route === '/metrics') return { operation: 'metrics', carriesSecret: false };
  if (route.startsWith('/api/v1/cluster/')) return { operation: 'cluster.status', carriesSecret: false };
  if (route.startsWith('/api/dev/')) return { operation: 'dev.control', carriesSecret: false };
  if (route.startsWith('/api/admin/')) return { operation: 'admin', carriesSecret: false };
  if (route === '/v2/openapi.json') return { operation: 'openapi', carriesSecret: false };
  // A created token is shown once in the response body: that is secret material too.
  if (route === '/v2/sys/tokens' && method === 'POST')
    return { operation: 'token.create', carriesSecret: true };
  // Retention holds (I-C2b): placed, listed, read and released; handlers add the hold or tenant target.
  if (route === '/v2/sys/holds') {
    return { operation: method === 'POST' ? 'hold.place' : 'hold.list', carriesSecret: false };
  }
  if (route === '/v2/sys/holds/:holdId') {
    return { operation: method === 'DELETE' ? 'hold.release' : 'hold.read', carriesSecret: false };
  }
  // Admin separation (I-T4): approvals granted, listed, revoked, and the tenant's audit view of them.
  if (route === '/v2/sys/approvals') {
    return { operation: method === 'POST' ? 'approval.grant' : 'approval.list', carriesSecret: false };
  }
  if (route === '/v2/sys/approvals/audit') return { operation: 'approval.audit', carriesSecret: false };
  if (route === '/v2/sys/approvals/:approvalId')
    return { operation: 'approval.revoke', carriesSecret: false };
  if (route === '/v2/sys/tenants/:tenant/admin')
    return { operation: 'tenant.bootstrap', carriesSecret: false };
  // Tenant-held keys (I-K6): set, read and revoked; handlers add the tenant target.
  if (route === '/v2/sys/tenant-key') {
    const operation = { PUT: 'tenant-key.set', DELETE: 'tenant-key.revoke' }[method];
    return { operation: operation ?? 'tenant-key.read', carriesSecret: false };
  }
  if (route.startsWith('/v2/sys/')) return { operation: 'sys', carriesSecret: false };
  // Namespace names only, never a value; the handler notes the same once the caller is authenticated.
  if (route === '/v2/namespaces') return { operation: 'namespace.list', carriesSecret: false };
  if (route === '/api/v1/secrets/env') return { operation: 'env.transform', carriesSecret: true };
  if (route === '/api/v1/secrets') {
    const operation = { POST: 'secret.create', PUT: 'secret.update', DELETE: 'secret.delete' }[method];
    return { operation: operation ?? 'secret.invalid', carriesSecret: false };
  }
  if (route === '/api/v1/secrets/*') return { operation: 'secret.read', carriesSecret: method === 'GET' };
  // Anything else (v2 secrets included) fails closed: treated as carrying a secret unless a handler says not.
  return { operation: 'request', carriesSecret: true };
}

export function classifyForAudit(request: FastifyRequest): AuditClassification {
  const route = classifyRoute(request.method, request.routeOptions.url ?? '');
  const note = auditSubjectOf(request);
  // I-T4c: an access a root token made under approvals names them, so the tenant sees every use.
  const target = note?.target ?? approvalAuditTarget(note?.approvals);
  return {
    operation: note?.operation ?? route.operation,
    carriesSecret: note?.carriesSecret ?? route.carriesSecret,
    ...(target === undefined ? {} : { target }),
    ...(note?.namespace === undefined ? {} : { namespace: note.namespace }),
    ...(note?.name === undefined ? {} : { name: note.name }),
    ...(note?.paths === undefined ? {} : { paths: note.paths }),
  };
}

export type AdminTargetKind = 'token' | 'policy' | 'tenant' | 'hold' | 'approval';

/** Anything shaped like a bearer token (src/control/tokens.ts): never written as a target, even by mistake. */
const TOKEN_LIKE = /dsv\.[A-Za-z0-9_-]{20,}/;

/**
 * Notes what an admin route does, for its audit record: `operation` (`token.revoke`, `policy.put`, …) and,
 * once known and validated, the target as `kind:id` (an accessor, `<tenant>/<policy>`, a tenant, a hold id) — never a
 * token or secret value. Call it at the top of the handler (the operation is then recorded even when the
 * call is refused) and again with the target as soon as it is validated.
 */
export function noteAdminAction(
  request: FastifyRequest,
  operation: string,
  target?: { readonly kind: AdminTargetKind; readonly id: string },
): void {
  const id = target?.id;
  const safe = id !== undefined && !TOKEN_LIKE.test(id);
  noteAuditSubject(request, { operation, ...(safe ? { target: `${target?.kind}:${id}` } : {}) });
}
