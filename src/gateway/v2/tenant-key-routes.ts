// /v2/sys/tenant-key: tenant-held keys (I-K6). The tenant's DEKs are wrapped under a key in the tenant's own KMS
// (then each node's KEK); registering or changing it and revoking it through DSV are endorsed log records that
// only the tenant's admin or root may make (the same `mayMakeRecord` every endorser applies).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mayMakeRecord } from '../../control/index.ts';
import type { TenantKeyStatus } from '../../cluster/index.ts';
import { DsvError } from '../../errors/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { requireTenantName, type Caller } from '../tenancy.ts';
import type { V2Context } from './v2-context.ts';
import { ERROR_RESPONSES } from './v2-schemas.ts';

const PROVIDERS = ['aws-kms', 'pkcs11', 'kmip', 'local'] as const;
const tags = ['tenant-keys'];
const iso = (time: number | null): string | null => (time === null ? null : new Date(time).toISOString());

const STATUS = {
  type: 'object',
  required: ['tenant', 'key', 'usable', 'error', 'layers'],
  properties: {
    tenant: { type: 'string' },
    key: {
      type: ['object', 'null'],
      description: 'The registered key as the log decided it; null when the tenant has none',
      properties: {
        provider: { type: 'string', enum: [...PROVIDERS] },
        keyRef: { type: 'string', description: "The key's name at the provider (never key material)" },
        setAt: { type: 'string', format: 'date-time', description: 'Log time of the record in force' },
        setBy: { type: 'string', description: 'Accessor of the token that set it' },
        revoked: { type: 'boolean' },
        revokedAt: { type: ['string', 'null'], format: 'date-time' },
        revokedBy: { type: ['string', 'null'] },
      },
    },
    usable: { type: 'boolean', description: 'Whether the answering node can use the key now' },
    error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, reason: { type: 'string' } },
    },
    layers: {
      type: 'object',
      description: "The answering node's live data keys of the tenant per wrapping layer",
      properties: {
        tenantKey: {
          type: 'object',
          description: 'Data keys under each tenant key (`<provider>:<keyRef>`), then the node KEK',
          additionalProperties: { type: 'integer' },
        },
        nodeKekOnly: { type: 'integer', description: 'Data keys under the node KEK alone' },
      },
    },
  },
} as const;

const ANSWER = {
  type: 'object',
  required: ['tenantKey', 'confirmedNodes'],
  properties: { tenantKey: STATUS, confirmedNodes: { type: 'array', items: { type: 'string' } } },
} as const;

const TENANT_QUERY = {
  type: 'object',
  properties: { tenant: { type: 'string', description: 'Root only: the tenant (default: the token’s)' } },
} as const;

function present(status: TenantKeyStatus) {
  const key = status.key;
  return {
    ...status,
    key:
      key === null
        ? null
        : {
            provider: key.provider,
            keyRef: key.keyRef,
            setAt: iso(key.setAt),
            setBy: key.setBy,
            revoked: key.revoked,
            revokedAt: iso(key.revokedAt),
            revokedBy: key.revokedBy,
          },
  };
}

/** Root may name any tenant; anyone else acts on its own, and must be that tenant's admin (I-T1). */
function tenantOf(caller: Caller, requested: unknown, type: 'tenant-key-set' | 'tenant-key-revoke'): string {
  let tenant = caller.tenant;
  if (requested !== undefined) {
    tenant = requireTenantName(requested);
  }
  if (!mayMakeRecord(caller, { type, tenant, by: caller.accessor }, () => undefined)) {
    throw new DsvError('DSV_AUTH_FORBIDDEN', "Permission denied: needs the tenant's admin or root");
  }
  return tenant;
}

export function registerTenantKeyRoutes(app: FastifyInstance, context: V2Context): void {
  const auth = (request: FastifyRequest) => context.authenticator.authenticate(request);
  const coordinator = context.coordinator;

  app.put<{ Querystring: { tenant?: string }; Body: { provider?: unknown; keyRef?: unknown } | undefined }>(
    '/sys/tenant-key',
    {
      schema: {
        tags,
        summary:
          "Register or change the tenant's own KMS key: its data keys are wrapped under it, then each node's KEK",
        querystring: TENANT_QUERY,
        body: {
          type: 'object',
          properties: {
            provider: { type: 'string', enum: [...PROVIDERS] },
            keyRef: {
              type: 'string',
              description: "The key's name at the provider: every node needs a tenantKeks entry for it",
            },
          },
        },
        response: {
          200: { ...ANSWER, description: 'Recorded, on every node that confirmed' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAdminAction(request, 'tenant-key.set');
      const caller = await auth(request);
      const tenant = tenantOf(caller, request.query.tenant, 'tenant-key-set');
      noteAdminAction(request, 'tenant-key.set', { kind: 'tenant', id: tenant });
      const { provider, keyRef } = request.body ?? {};
      if (typeof provider !== 'string' || !(PROVIDERS as readonly string[]).includes(provider)) {
        throw new DsvError('DSV_INPUT_INVALID', `provider must be one of ${PROVIDERS.join(', ')}`);
      }
      if (typeof keyRef !== 'string' || keyRef === '' || keyRef.length > 2048 || !keyRef.isWellFormed()) {
        throw new DsvError('DSV_INPUT_INVALID', 'keyRef must be 1-2048 characters naming the key');
      }
      const outcome = await coordinator.setTenantKey(
        { tenant, provider: provider as (typeof PROVIDERS)[number], keyRef },
        caller,
      );
      return { tenantKey: present(outcome.status), confirmedNodes: outcome.confirmedNodes };
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/sys/tenant-key',
    {
      schema: {
        tags,
        summary: "The tenant's key, whether the answering node can use it, and its data keys per layer",
        querystring: TENANT_QUERY,
        response: { 200: STATUS, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      noteAdminAction(request, 'tenant-key.read');
      const caller = await auth(request);
      const tenant = tenantOf(caller, request.query.tenant, 'tenant-key-set');
      noteAdminAction(request, 'tenant-key.read', { kind: 'tenant', id: tenant });
      return present(await coordinator.tenantKeyStatus(tenant));
    },
  );

  app.delete<{ Querystring: { tenant?: string } }>(
    '/sys/tenant-key',
    {
      schema: {
        tags,
        summary:
          "Revoke the tenant's key through DSV: every node destroys the tenant's data keys and shards " +
          '(refused while a retention hold is in force)',
        querystring: TENANT_QUERY,
        response: {
          200: { ...ANSWER, description: 'Revoked, on every node that confirmed' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAdminAction(request, 'tenant-key.revoke');
      const caller = await auth(request);
      const tenant = tenantOf(caller, request.query.tenant, 'tenant-key-revoke');
      noteAdminAction(request, 'tenant-key.revoke', { kind: 'tenant', id: tenant });
      const outcome = await coordinator.revokeTenantKey(tenant, caller);
      return { tenantKey: present(outcome.status), confirmedNodes: outcome.confirmedNodes };
    },
  );
}
