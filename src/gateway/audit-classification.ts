// What each route is, for the audit trail (I-A1): the operation name and whether its success body carries
// secret material (then it is sent only after its record is durable). Handlers add the secret path.
import type { FastifyRequest } from 'fastify';
import { auditSubjectOf, type AuditClassification } from '../audit/index.ts';

interface RouteClass {
  readonly operation: string;
  readonly carriesSecret: boolean;
}

function classifyRoute(method: string, route: string): RouteClass {
  if (route === '/health') return { operation: 'health', carriesSecret: false };
  if (route.startsWith('/api/v1/cluster/')) return { operation: 'cluster.status', carriesSecret: false };
  if (route.startsWith('/api/dev/')) return { operation: 'dev.control', carriesSecret: false };
  if (route.startsWith('/api/admin/')) return { operation: 'admin', carriesSecret: false };
  if (route === '/v2/openapi.json') return { operation: 'openapi', carriesSecret: false };
  // A created token is shown once in the response body: that is secret material too.
  if (route === '/v2/sys/tokens' && method === 'POST')
    return { operation: 'token.create', carriesSecret: true };
  if (route.startsWith('/v2/sys/')) return { operation: 'sys', carriesSecret: false };
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
  return {
    operation: note?.operation ?? route.operation,
    carriesSecret: note?.carriesSecret ?? route.carriesSecret,
    ...(note?.namespace === undefined ? {} : { namespace: note.namespace }),
    ...(note?.name === undefined ? {} : { name: note.name }),
    ...(note?.paths === undefined ? {} : { paths: note.paths }),
  };
}
