// Key and tenant administration (DESIGN §8–9): rotate data keys, rewrap status, crypto-shred. Every call is
// authenticated first (I-G1); until tokens and policies exist, only a dev-mode node allows them.
import type { FastifyInstance } from 'fastify';
import { noteAdminAction } from '../audit-classification.ts';
import { requireAdmin, requireTenantName } from '../tenancy.ts';
import type { V1Context } from '../v1/v1-context.ts';
import { registerRefreshRoutes } from './refresh-routes.ts';

export interface AdminContext extends V1Context {
  readonly keyStatus: () => unknown;
}

export function registerAdminRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post<{ Body: { tenant?: unknown } | undefined }>('/api/admin/keys/rotate', async (request) => {
    noteAdminAction(request, 'keys.rotate');
    const caller = await context.authenticator.authenticate(request);
    requireAdmin(caller);
    const requested = request.body?.tenant;
    const tenant = requested === undefined ? undefined : requireTenantName(requested);
    noteAdminAction(request, 'keys.rotate', { kind: 'tenant', id: tenant ?? '*' }); // '*': every tenant
    return { rotated: await context.coordinator.rotateKeys(caller, tenant) };
  });

  app.get('/api/admin/keys/status', async (request) => {
    noteAdminAction(request, 'keys.status');
    requireAdmin(await context.authenticator.authenticate(request));
    return context.keyStatus();
  });

  app.post<{ Params: { tenant: string } }>('/api/admin/tenants/:tenant/shred', async (request) => {
    noteAdminAction(request, 'tenant.shred', { kind: 'tenant', id: request.params.tenant });
    const caller = await context.authenticator.authenticate(request);
    requireAdmin(caller);
    const tenant = requireTenantName(request.params.tenant);
    return { shredded: await context.coordinator.shredTenant(tenant, caller) };
  });

  registerRefreshRoutes(app, context);
}
