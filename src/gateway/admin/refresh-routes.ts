// Proactive share refresh on demand (issue #9, I-R1): start a run over a tenant's versions on this node, and
// read the versions per share generation. Administration: a root token, audited like every admin call.
import type { FastifyInstance } from 'fastify';
import { DsvError } from '../../errors/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { requireAdmin } from '../tenancy.ts';
import type { AdminContext } from './admin-routes.ts';

const ROUTE = '/api/admin/keys/refresh-shares';

function tenantOf(value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024)
    throw new DsvError('DSV_INPUT_INVALID', 'tenant must be a non-empty string');
  return value;
}

export function registerRefreshRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post<{ Body: { tenant?: unknown } | undefined }>(ROUTE, async (request) => {
    noteAdminAction(request, 'keys.refresh-shares');
    requireAdmin(await context.authenticator.authenticate(request));
    const tenant = tenantOf(request.body?.tenant, true) ?? '';
    noteAdminAction(request, 'keys.refresh-shares', { kind: 'tenant', id: tenant });
    return { job: await context.coordinator.refreshShares(tenant) };
  });

  app.get<{ Querystring: { tenant?: unknown } }>(ROUTE, async (request) => {
    noteAdminAction(request, 'keys.refresh-status');
    requireAdmin(await context.authenticator.authenticate(request));
    const tenant = tenantOf(request.query.tenant, false);
    return { tenants: await context.coordinator.refreshStatus(tenant) };
  });
}
