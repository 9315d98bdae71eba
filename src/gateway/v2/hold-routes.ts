// /v2/sys/holds: retention holds (I-C2b). A hold on a tenant, a namespace or one secret makes deletes and
// crypto-shred of what it covers refuse (409 DSV_RETENTION_HOLD), decided in log order on every node.
// Placing needs `hold`, releasing `hold-release` on the hold's scope (root: both); both are endorsed records.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mayHold } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { HoldRecord } from '../../view/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { requireTenantName, type Caller } from '../tenancy.ts';
import type { V2Context } from './v2-context.ts';
import { ERROR_RESPONSES } from './v2-schemas.ts';

const MAX_TTL_SECONDS = 100 * 365 * 86400;
const tags = ['holds'];

const HOLD = {
  type: 'object',
  required: ['holdId', 'tenant', 'scope', 'namespace', 'name', 'reason', 'placedBy', 'placedAt'],
  properties: {
    holdId: { type: 'string' },
    tenant: { type: 'string' },
    scope: { type: 'string', enum: ['tenant', 'namespace', 'secret'] },
    namespace: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    reason: { type: 'string' },
    placedBy: { type: 'string', description: 'Accessor of the token that placed it' },
    placedAt: { type: 'string', format: 'date-time', description: 'Log time of the hold record' },
    expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'In log time (I-X4)' },
    expired: { type: 'boolean' },
    active: { type: 'boolean', description: 'Neither released nor expired: deletes it covers are refused' },
    releasedAt: { type: ['string', 'null'], format: 'date-time' },
    releasedBy: { type: ['string', 'null'] },
  },
} as const;

const HOLD_ANSWER = {
  type: 'object',
  required: ['hold', 'confirmedNodes'],
  properties: { hold: HOLD, confirmedNodes: { type: 'array', items: { type: 'string' } } },
} as const;

const TENANT_QUERY = {
  type: 'object',
  properties: { tenant: { type: 'string', description: 'Root only: the tenant (default: the token’s)' } },
} as const;

const HOLD_PARAMS = {
  type: 'object',
  required: ['holdId'],
  properties: { holdId: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

const iso = (time: number | null): string | null => (time === null ? null : new Date(time).toISOString());

function present(hold: HoldRecord, now: number) {
  const expired = hold.expiresAt !== null && hold.expiresAt <= now;
  return {
    holdId: hold.holdId,
    tenant: hold.tenant,
    scope: hold.namespace === null ? 'tenant' : hold.name === null ? 'namespace' : 'secret',
    namespace: hold.namespace,
    name: hold.name,
    reason: hold.reason,
    placedBy: hold.placedBy,
    placedAt: iso(hold.placedAt),
    expiresAt: iso(hold.expiresAt),
    expired,
    active: hold.releasedAt === null && !expired,
    releasedAt: iso(hold.releasedAt),
    releasedBy: hold.releasedBy,
  };
}

/** Root may name any tenant; any other token acts on its own (I-T1). */
function holdTenant(caller: Caller, requested: unknown): string {
  if (requested === undefined) return caller.tenant;
  const tenant = requireTenantName(requested);
  if (!caller.root && tenant !== caller.tenant) throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
  return tenant;
}

function segment(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '' || value.length > 1024 || !value.isWellFormed()) {
    throw new DsvError('DSV_INPUT_INVALID', `${what} must be 1-1024 characters of well-formed Unicode`);
  }
  return value.normalize('NFC');
}

/** Who sees a hold: whoever could place or release it, and the tenant's admins. */
const maySee = (caller: Caller, hold: HoldRecord): boolean =>
  mayHold(caller, 'hold', hold) ||
  mayHold(caller, 'hold-release', hold) ||
  (hold.tenant === caller.tenant && caller.can('admin', '*', '*'));

export function registerHoldRoutes(app: FastifyInstance, context: V2Context): void {
  const auth = (request: FastifyRequest) => context.authenticator.authenticate(request);
  const coordinator = context.coordinator;

  app.post<{
    Querystring: { tenant?: string };
    Body: { namespace?: unknown; name?: unknown; reason?: unknown; ttlSeconds?: unknown } | undefined;
  }>(
    '/sys/holds',
    {
      schema: {
        tags,
        summary: 'Place a retention hold on the tenant, a namespace or one secret (needs `hold`)',
        querystring: TENANT_QUERY,
        body: {
          type: 'object',
          properties: {
            namespace: { type: 'string', description: 'Omit for a hold on the whole tenant' },
            name: { type: 'string', description: 'Omit for a hold on the whole namespace' },
            reason: { type: 'string', description: 'Why (required, recorded and audited)' },
            ttlSeconds: { type: 'integer', description: 'Optional expiry, counted in log time' },
          },
        },
        response: {
          201: { ...HOLD_ANSWER, description: 'Placed, on every node that confirmed' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      noteAdminAction(request, 'hold.place');
      const caller = await auth(request);
      const body = request.body ?? {};
      const tenant = holdTenant(caller, request.query.tenant);
      noteAdminAction(request, 'hold.place', { kind: 'tenant', id: tenant });
      const namespace = segment(body.namespace, 'namespace');
      const name = segment(body.name, 'name');
      if (name !== null && namespace === null) {
        throw new DsvError('DSV_INPUT_INVALID', 'A hold on a secret names its namespace too');
      }
      const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
      if (reason === '' || reason.length > 1024 || !reason.isWellFormed()) {
        throw new DsvError('DSV_INPUT_INVALID', 'reason is required: 1-1024 characters saying why');
      }
      const ttl = body.ttlSeconds;
      if (
        ttl !== undefined &&
        (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)
      ) {
        throw new DsvError(
          'DSV_INPUT_INVALID',
          'ttlSeconds must be a whole number of seconds, at most 100 years',
        );
      }
      const scope = { tenant, namespace, name };
      if (!mayHold(caller, 'hold', scope))
        throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied: needs `hold`');
      const placed = await coordinator.placeHold(
        { ...scope, reason, ttlMs: typeof ttl === 'number' ? ttl * 1000 : null },
        caller,
      );
      noteAdminAction(request, 'hold.place', { kind: 'hold', id: placed.hold.holdId });
      return reply
        .status(201)
        .send({ hold: present(placed.hold, Date.now()), confirmedNodes: placed.confirmedNodes });
    },
  );

  app.get<{ Querystring: { tenant?: string; includeReleased?: boolean } }>(
    '/sys/holds',
    {
      schema: {
        tags,
        summary: 'List the retention holds the caller may see (placed, released or administered by it)',
        querystring: {
          type: 'object',
          properties: {
            ...TENANT_QUERY.properties,
            includeReleased: { type: 'boolean', description: 'Also released holds (default: false)' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['tenant', 'holds'],
            properties: { tenant: { type: 'string' }, holds: { type: 'array', items: HOLD } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAdminAction(request, 'hold.list');
      const caller = await auth(request);
      const tenant = holdTenant(caller, request.query.tenant);
      noteAdminAction(request, 'hold.list', { kind: 'tenant', id: tenant });
      const holds = await coordinator.listHolds(tenant, request.query.includeReleased === true);
      const now = Date.now();
      return {
        tenant,
        holds: holds.filter((hold) => maySee(caller, hold)).map((hold) => present(hold, now)),
      };
    },
  );

  app.get<{ Params: { holdId: string }; Querystring: { tenant?: string } }>(
    '/sys/holds/:holdId',
    {
      schema: {
        tags,
        summary: 'One retention hold, released or not',
        params: HOLD_PARAMS,
        querystring: TENANT_QUERY,
        response: { 200: { ...HOLD }, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      noteAdminAction(request, 'hold.read');
      const caller = await auth(request);
      const tenant = holdTenant(caller, request.query.tenant);
      const hold = await coordinator.findHold(tenant, request.params.holdId);
      if (!hold || !maySee(caller, hold)) throw new DsvError('DSV_HOLD_NOT_FOUND');
      noteAdminAction(request, 'hold.read', { kind: 'hold', id: hold.holdId });
      return present(hold, Date.now());
    },
  );

  app.delete<{ Params: { holdId: string }; Querystring: { tenant?: string } }>(
    '/sys/holds/:holdId',
    {
      schema: {
        tags,
        summary: 'Release a retention hold (needs `hold-release` on its scope; `hold` is not enough)',
        params: HOLD_PARAMS,
        querystring: TENANT_QUERY,
        response: {
          200: { ...HOLD_ANSWER, description: 'Released, on every node that confirmed' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAdminAction(request, 'hold.release');
      const caller = await auth(request);
      const tenant = holdTenant(caller, request.query.tenant);
      const hold = await coordinator.findHold(tenant, request.params.holdId);
      // A hold the caller may not see is answered as one that does not exist (as GET does): no oracle.
      if (!hold || hold.releasedAt !== null || !maySee(caller, hold))
        throw new DsvError('DSV_HOLD_NOT_FOUND');
      noteAdminAction(request, 'hold.release', { kind: 'hold', id: hold.holdId });
      if (!mayHold(caller, 'hold-release', hold)) {
        throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied: releasing a hold needs `hold-release`');
      }
      const released = await coordinator.releaseHold(hold, caller);
      return { hold: present(released.hold, Date.now()), confirmedNodes: released.confirmedNodes };
    },
  );
}
