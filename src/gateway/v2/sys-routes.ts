// /v2/sys: administration of tenants, tokens and policies, through the control partition (DESIGN §9).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseRules } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { requireAdmin, type Caller } from '../tenancy.ts';
import type { V2Context } from './v2-context.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `${what} must be 1-128 characters of letters, digits, '.', '_' or '-'`,
    );
  }
  return value;
}

/** Root may act on any tenant it names; a tenant token acts on its own tenant, and needs `admin`. */
function adminTenant(caller: Caller, requested: unknown): string {
  if (caller.root) {
    return requested === undefined ? caller.tenant : requireName(requested, 'tenant');
  }
  if (requested !== undefined && requested !== caller.tenant)
    throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
  if (!caller.can('admin', '*', '*')) throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
  return caller.tenant;
}

/**
 * I-T4: root manages tenants, quotas and nodes; a tenant's tokens and policies are its admin's. (The dev
 * cluster's standing approval keeps the old path.) Every endorser refuses the record too; this answers first.
 */
function refuseRootTenantAdministration(caller: Caller): void {
  if (caller.root && caller.standing !== true) {
    throw new DsvError(
      'DSV_APPROVAL_REQUIRED',
      "Root does not administer a tenant's tokens or policies: its admin does (name one with POST /v2/sys/tenants/{tenant}/admin)",
    );
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The per-node verifiers of a token the future admin made itself: one per member, each a SHA-256 hex. */
function parseVerifiers(value: unknown, nodeIds: readonly string[]): Record<string, string> {
  const verifiers = (value ?? {}) as Record<string, unknown>;
  const keys = typeof value === 'object' && value !== null ? Object.keys(verifiers).sort() : [];
  const ok =
    keys.length === nodeIds.length &&
    [...nodeIds].sort().every((id, i) => keys[i] === id && HEX64.test(String(verifiers[id])));
  if (!ok) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      'verifiers must give every node of the cluster the hex SHA-256 verifier of its credential (dsv tenant admin-request)',
    );
  }
  return Object.fromEntries(keys.map((id) => [id, String(verifiers[id])]));
}

const ttlMs = (value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10 * 365 * 86400) {
    throw new DsvError('DSV_INPUT_INVALID', 'ttlSeconds must be a whole number of seconds, at most 10 years');
  }
  return value * 1000;
};

export function registerSysRoutes(app: FastifyInstance, context: V2Context): void {
  const auth = (request: FastifyRequest) => context.authenticator.authenticate(request);

  app.post<{ Body: { name?: unknown } }>('/sys/tenants', async (request, reply) => {
    noteAdminAction(request, 'tenant.create');
    const caller = await auth(request);
    requireAdmin(caller);
    const name = requireName(request.body?.name, 'name');
    noteAdminAction(request, 'tenant.create', { kind: 'tenant', id: name });
    await context.coordinator.createTenant(name, caller);
    return reply.status(201).send({ name });
  });

  // I-T4 bootstrap: root names a tenant's first admin once, from verifiers only (root never sees the token).
  app.post<{ Params: { tenant: string }; Body: { verifiers?: unknown; displayName?: unknown } }>(
    '/sys/tenants/:tenant/admin',
    async (request, reply) => {
      noteAdminAction(request, 'tenant.bootstrap');
      const caller = await auth(request);
      requireAdmin(caller);
      const tenant = requireName(request.params.tenant, 'tenant');
      noteAdminAction(request, 'tenant.bootstrap', { kind: 'tenant', id: tenant });
      const nodeIds = context.coordinator.context.params.nodeIds;
      const verifiers = parseVerifiers(request.body?.verifiers, nodeIds);
      const displayName =
        typeof request.body?.displayName === 'string'
          ? request.body.displayName.slice(0, 128)
          : 'tenant-admin';
      const admin = await context.coordinator.bootstrapTenantAdmin(tenant, verifiers, displayName, caller);
      noteAdminAction(request, 'tenant.bootstrap', { kind: 'token', id: admin.accessor });
      return reply.status(201).send(admin);
    },
  );

  app.get('/sys/tenants', async (request) => {
    noteAdminAction(request, 'tenant.list');
    requireAdmin(await auth(request));
    const tenants = context.coordinator.control?.tenants() ?? [];
    // A crypto-shredded tenant is still listed (its name stays taken), and marked.
    const shredded = tenants.filter((tenant) => context.coordinator.isShredded(tenant));
    return { tenants, shredded };
  });

  app.post<{ Body: { tenant?: unknown; policies?: unknown; ttlSeconds?: unknown; displayName?: unknown } }>(
    '/sys/tokens',
    async (request, reply) => {
      noteAdminAction(request, 'token.create');
      const caller = await auth(request);
      const body = request.body ?? {};
      const tenant = adminTenant(caller, body.tenant);
      noteAdminAction(request, 'token.create', { kind: 'tenant', id: tenant });
      refuseRootTenantAdministration(caller);
      const policies = Array.isArray(body.policies) ? body.policies.map((p) => requireName(p, 'policy')) : [];
      const ttl = ttlMs(body.ttlSeconds);
      const created = await context.coordinator.createToken(
        {
          tenant,
          policies,
          ...(ttl === undefined ? {} : { ttlMs: ttl }),
          displayName: typeof body.displayName === 'string' ? body.displayName.slice(0, 128) : '',
        },
        caller,
      );
      // The audit record names the new token by its accessor; the token is shown once, here, never recorded.
      noteAdminAction(request, 'token.create', { kind: 'token', id: created.accessor });
      return reply.status(201).send({
        token: created.token,
        accessor: created.accessor,
        tenant: created.tenant,
        policies: created.policies,
        expiresAt: created.expiresAt === null ? null : new Date(created.expiresAt).toISOString(),
      });
    },
  );

  // Every token root may see, or a tenant admin's own tenant's: what each is, never the token or its hash.
  app.get<{ Querystring: { tenant?: string } }>('/sys/tokens', async (request) => {
    noteAdminAction(request, 'token.list');
    const caller = await auth(request);
    const control = context.coordinator.control;
    const all = caller.root && request.query.tenant === undefined;
    const tenant = all ? null : adminTenant(caller, request.query.tenant);
    const now = Date.now();
    const records = all ? (control?.tokens(null) ?? []) : (control?.tokens(tenant) ?? []);
    return {
      tokens: records.map((token) => ({
        accessor: token.accessor,
        tenant: token.tenant,
        root: token.tenant === null,
        policies: token.policies,
        displayName: token.displayName,
        createdAt: new Date(token.createdAt).toISOString(),
        expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
        expired: token.expiresAt !== null && token.expiresAt <= now,
        revoked: token.revokedAt !== null,
      })),
    };
  });

  // The cluster's nodes and their public URLs, for any valid token: `dsv login` keeps them so a login is for
  // the cluster and a command can fall back to another node (issue 11). No offsets, health or peers (F8).
  app.get('/sys/cluster', async (request) => {
    noteAdminAction(request, 'cluster.nodes');
    await auth(request);
    return { nodes: context.clusterNodes?.() ?? [] };
  });

  app.get('/sys/tokens/self', async (request) => {
    noteAdminAction(request, 'token.self');
    const caller = await auth(request);
    return { accessor: caller.accessor, tenant: caller.tenant, root: caller.root };
  });

  app.delete<{ Params: { accessor: string } }>('/sys/tokens/:accessor', async (request, reply) => {
    noteAdminAction(request, 'token.revoke');
    const caller = await auth(request);
    // Who administers no tenant is refused whatever the accessor; an admin is told of no token it may not
    // revoke (another tenant's, a root token), so the answer is no oracle of other tenants' accessors.
    if (!caller.root && !caller.can('admin', '*', '*'))
      throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
    const token = context.coordinator.control?.tokenByAccessor(request.params.accessor);
    const mayRevoke =
      token !== undefined && (caller.root || (token.tenant !== null && token.tenant === caller.tenant));
    if (!token || !mayRevoke) throw new DsvError('DSV_ROUTE_NOT_FOUND', 'No such token');
    // Only a known accessor is recorded (a token pasted here by mistake is not).
    noteAdminAction(request, 'token.revoke', { kind: 'token', id: token.accessor });
    const confirmedNodes = await context.coordinator.revokeToken(token.accessor, caller);
    return reply.status(200).send({ accessor: token.accessor, revoked: true, confirmedNodes });
  });

  app.put<{ Querystring: { tenant?: string }; Body: Record<string, unknown> | undefined }>(
    '/sys/quotas',
    async (request) => {
      noteAdminAction(request, 'quota.set');
      const caller = await auth(request);
      requireAdmin(caller); // a tenant may not raise its own quota
      const tenant = adminTenant(caller, request.query.tenant);
      noteAdminAction(request, 'quota.set', { kind: 'tenant', id: tenant });
      const body = request.body ?? {};
      const field = (name: string): number | null => {
        const value = body[name];
        if (value === undefined || value === null) return null;
        if (typeof value !== 'number')
          throw new DsvError('DSV_INPUT_INVALID', `${name} must be a number or null`);
        return value;
      };
      const quota = {
        maxSecrets: field('maxSecrets'),
        maxValueBytes: field('maxValueBytes'),
        requestsPerSecond: field('requestsPerSecond'),
      };
      const outcome = await context.coordinator.setQuota(tenant, quota, caller);
      return { tenant, quota, confirmedNodes: outcome.confirmedNodes };
    },
  );

  app.get<{ Querystring: { tenant?: string } }>('/sys/quotas', async (request) => {
    noteAdminAction(request, 'quota.read');
    const tenant = adminTenant(await auth(request), request.query.tenant);
    return { tenant, quota: context.coordinator.quota(tenant) };
  });

  app.put<{ Params: { name: string }; Querystring: { tenant?: string }; Body: { rules?: unknown } }>(
    '/sys/policies/:name',
    async (request, reply) => {
      noteAdminAction(request, 'policy.put');
      const caller = await auth(request);
      const tenant = adminTenant(caller, request.query.tenant);
      const name = requireName(request.params.name, 'policy name');
      noteAdminAction(request, 'policy.put', { kind: 'policy', id: `${tenant}/${name}` });
      refuseRootTenantAdministration(caller);
      const rules = parseRules(request.body?.rules);
      await context.coordinator.putPolicy(tenant, name, rules, caller);
      return reply.status(200).send({ tenant, name, rules });
    },
  );

  app.get<{ Querystring: { tenant?: string } }>('/sys/policies', async (request) => {
    noteAdminAction(request, 'policy.list');
    const tenant = adminTenant(await auth(request), request.query.tenant);
    return { tenant, policies: context.coordinator.control?.policies(tenant) ?? [] };
  });

  app.delete<{ Params: { name: string }; Querystring: { tenant?: string } }>(
    '/sys/policies/:name',
    async (request, reply) => {
      noteAdminAction(request, 'policy.delete');
      const caller = await auth(request);
      const tenant = adminTenant(caller, request.query.tenant);
      const name = requireName(request.params.name, 'policy name');
      noteAdminAction(request, 'policy.delete', { kind: 'policy', id: `${tenant}/${name}` });
      refuseRootTenantAdministration(caller);
      await context.coordinator.deletePolicy(tenant, name, caller);
      return reply.status(204).send();
    },
  );
}
