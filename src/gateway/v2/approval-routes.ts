// /v2/sys/approvals: admin separation (I-T4, I-T4c). A root token reads and changes no tenant's secrets; the
// tenant's admin grants it an approval bounded in time and scope (namespace/name patterns, capabilities), an
// endorsed record every node applies; break-glass is the operator key's (`dsv approval break-glass`). The
// tenant sees every approval, every break-glass and every use of them (`/v2/sys/approvals/audit`).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  APPROVAL_CAPABILITIES,
  MAX_APPROVAL_TTL_MS,
  approvalActive,
  type ApprovalRecord,
  type Capability,
} from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { requireTenantName, type Caller } from '../tenancy.ts';
import { approvalAuditView, type ApprovalAuditContext } from './approval-audit.ts';
import type { V2Context } from './v2-context.ts';
import { ERROR_RESPONSES } from './v2-schemas.ts';

const ACCESSOR = /^[A-Za-z0-9._-]{1,256}$/;
const tags = ['approvals'];
const iso = (time: number | null): string | null => (time === null ? null : new Date(time).toISOString());

const APPROVAL = {
  type: 'object',
  required: ['approvalId', 'kind', 'tenant', 'grantee', 'namespace', 'name', 'capabilities', 'reason'],
  properties: {
    approvalId: { type: 'string' },
    kind: { type: 'string', enum: ['grant', 'break-glass'] },
    tenant: { type: 'string' },
    grantee: { type: 'string', description: 'Accessor of the root token it lets in' },
    namespace: { type: 'string', description: 'Namespace pattern (exact, or a prefix ending in `*`)' },
    name: { type: 'string', description: 'Name pattern (exact, or a prefix ending in `*`)' },
    capabilities: { type: 'array', items: { type: 'string', enum: [...APPROVAL_CAPABILITIES] } },
    reason: { type: 'string' },
    grantedBy: { type: ['string', 'null'], description: "The tenant admin's accessor; null: the operator" },
    grantedAt: { type: 'string', format: 'date-time', description: 'Log time of its record (I-X4)' },
    expiresAt: { type: 'string', format: 'date-time', description: 'Counted in log time from grantedAt' },
    active: { type: 'boolean', description: 'Neither revoked nor expired' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedBy: { type: ['string', 'null'] },
  },
} as const;

const ANSWER = {
  type: 'object',
  required: ['approval', 'confirmedNodes'],
  properties: { approval: APPROVAL, confirmedNodes: { type: 'array', items: { type: 'string' } } },
} as const;

const TENANT_QUERY = {
  type: 'object',
  properties: { tenant: { type: 'string', description: 'Root only: the tenant (default: the token’s)' } },
} as const;

const PARAMS = {
  type: 'object',
  required: ['approvalId'],
  properties: { approvalId: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

export function presentApproval(approval: ApprovalRecord, now: number) {
  return {
    approvalId: approval.approvalId,
    kind: approval.kind,
    tenant: approval.tenant,
    grantee: approval.grantee,
    namespace: approval.namespace,
    name: approval.name,
    capabilities: [...approval.capabilities],
    reason: approval.reason,
    grantedBy: approval.grantedBy,
    grantedAt: iso(approval.grantedAt),
    expiresAt: iso(approval.expiresAt),
    active: approvalActive(approval, now),
    revokedAt: iso(approval.revokedAt),
    revokedBy: approval.revokedBy,
  };
}

/** The tenant's admin (a tenant token with `admin` on `*`/`*`): the only one who grants or revokes. */
function requireTenantAdmin(caller: Caller): string {
  if (caller.root) {
    throw new DsvError('DSV_APPROVAL_REQUIRED', "Only the tenant's admin grants or revokes approvals (I-T4)");
  }
  if (!caller.can('admin', '*', '*')) {
    throw new DsvError('DSV_AUTH_FORBIDDEN', "Permission denied: approvals need the tenant's admin");
  }
  return caller.tenant;
}

/** Who sees a tenant's approvals and their uses: its admin, or root (the grantee, and the cluster's manager). */
function viewTenant(caller: Caller, requested: unknown): string {
  if (requested !== undefined) requireTenantName(requested);
  if (caller.root) return typeof requested === 'string' ? requested : caller.tenant;
  if ((requested !== undefined && requested !== caller.tenant) || !caller.can('admin', '*', '*'))
    throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
  return caller.tenant;
}

function pattern(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 1024 || !value.isWellFormed()) {
    throw new DsvError('DSV_INPUT_INVALID', `${what} must be 1-1024 characters of well-formed Unicode`);
  }
  const star = value.indexOf('*');
  if (star !== -1 && star !== value.length - 1) {
    throw new DsvError('DSV_INPUT_INVALID', `${what}: '*' is allowed only at the end of a pattern`);
  }
  return value.normalize('NFC');
}

interface GrantBody {
  grantee?: unknown;
  path?: unknown;
  namespace?: unknown;
  name?: unknown;
  capabilities?: unknown;
  ttlSeconds?: unknown;
  reason?: unknown;
}

function parseGrant(body: GrantBody) {
  if (typeof body.grantee !== 'string' || !ACCESSOR.test(body.grantee)) {
    throw new DsvError('DSV_INPUT_INVALID', 'grantee must be the accessor of a root token');
  }
  let { namespace, name } = body;
  if (typeof body.path === 'string') {
    const slash = body.path.indexOf('/');
    if (slash <= 0) throw new DsvError('DSV_INPUT_INVALID', 'path must be "namespace/name"');
    namespace = body.path.slice(0, slash);
    name = body.path.slice(slash + 1);
  }
  const capabilities = body.capabilities;
  if (
    !Array.isArray(capabilities) ||
    capabilities.length === 0 ||
    !capabilities.every((c) => APPROVAL_CAPABILITIES.includes(c as Capability))
  ) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `capabilities must be some of ${APPROVAL_CAPABILITIES.join(', ')} (never admin or holds)`,
    );
  }
  const ttl = body.ttlSeconds;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl * 1000 > MAX_APPROVAL_TTL_MS) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      'ttlSeconds is required: a whole number of seconds, at most 7 days',
    );
  }
  const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
  if (reason === '' || reason.length > 1024 || !reason.isWellFormed()) {
    throw new DsvError('DSV_INPUT_INVALID', 'reason is required: 1-1024 characters saying why');
  }
  return {
    grantee: body.grantee,
    namespace: pattern(namespace, 'namespace'),
    name: pattern(name, 'name'),
    capabilities: [...new Set(capabilities as Capability[])],
    ttlMs: ttl * 1000,
    reason,
  };
}

export function registerApprovalRoutes(
  app: FastifyInstance,
  context: V2Context & ApprovalAuditContext,
): void {
  const auth = (request: FastifyRequest) => context.authenticator.authenticate(request);
  const coordinator = context.coordinator;

  app.post<{ Body: GrantBody | undefined }>(
    '/sys/approvals',
    {
      schema: {
        tags,
        summary:
          "Grant a root token a time- and scope-bounded approval on the tenant's secrets (tenant admin)",
        body: {
          type: 'object',
          properties: {
            grantee: { type: 'string', description: 'Accessor of the root token (`dsv token lookup`)' },
            path: { type: 'string', description: '"namespace/name" patterns; or namespace and name' },
            namespace: { type: 'string' },
            name: { type: 'string' },
            capabilities: { type: 'array', items: { type: 'string', enum: [...APPROVAL_CAPABILITIES] } },
            ttlSeconds: { type: 'integer', description: 'Required; at most 7 days, counted in log time' },
            reason: { type: 'string', description: 'Why (required; shown to the tenant with every use)' },
          },
        },
        response: {
          201: { ...ANSWER, description: 'Granted, on every node that confirmed' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      noteAdminAction(request, 'approval.grant');
      const caller = await auth(request);
      const tenant = requireTenantAdmin(caller);
      const grant = parseGrant(request.body ?? {});
      const grantee = coordinator.control?.tokenByAccessor(grant.grantee);
      if (grantee?.tenant !== null || grantee.revokedAt !== null) {
        throw new DsvError('DSV_INPUT_INVALID', 'grantee must be the accessor of a live root token');
      }
      const outcome = await coordinator.grantApproval({ tenant, ...grant }, caller);
      noteAdminAction(request, 'approval.grant', { kind: 'approval', id: outcome.approval.approvalId });
      return reply.status(201).send({
        approval: presentApproval(outcome.approval, Date.now()),
        confirmedNodes: outcome.confirmedNodes,
      });
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/sys/approvals',
    {
      schema: {
        tags,
        summary: "The tenant's approvals and break-glass records, in force or not (its admin, or root)",
        querystring: TENANT_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['tenant', 'approvals'],
            properties: { tenant: { type: 'string' }, approvals: { type: 'array', items: APPROVAL } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAdminAction(request, 'approval.list');
      const tenant = viewTenant(await auth(request), request.query.tenant);
      noteAdminAction(request, 'approval.list', { kind: 'tenant', id: tenant });
      const now = Date.now();
      const approvals = await coordinator.listApprovals(tenant);
      return { tenant, approvals: approvals.map((approval) => presentApproval(approval, now)) };
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/sys/approvals/audit',
    {
      schema: {
        tags,
        summary:
          "The tenant's audit view on this node (I-T4c): approvals, break-glass and every access under them",
        querystring: TENANT_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['tenant', 'node', 'verified', 'records'],
            properties: {
              tenant: { type: 'string' },
              node: { type: ['string', 'null'] },
              verified: { type: 'boolean', description: "Whether this node's audit chain verifies" },
              records: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    seq: { type: 'integer' },
                    time: { type: 'string' },
                    operation: { type: 'string' },
                    target: { type: ['string', 'null'] },
                    accessor: { type: ['string', 'null'] },
                    outcome: { type: 'string' },
                    status: { type: 'integer' },
                    requestId: { type: 'string' },
                  },
                },
              },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAdminAction(request, 'approval.audit');
      const tenant = viewTenant(await auth(request), request.query.tenant);
      noteAdminAction(request, 'approval.audit', { kind: 'tenant', id: tenant });
      return approvalAuditView(context, tenant);
    },
  );

  app.delete<{ Params: { approvalId: string } }>(
    '/sys/approvals/:approvalId',
    {
      schema: {
        tags,
        summary: 'Revoke an approval early (tenant admin; break-glass runs out by itself)',
        params: PARAMS,
        response: {
          200: { ...ANSWER, description: 'Revoked, on every node that confirmed' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAdminAction(request, 'approval.revoke');
      const caller = await auth(request);
      const tenant = requireTenantAdmin(caller);
      const approval = await coordinator.findApproval(tenant, request.params.approvalId);
      if (!approval || approval.kind !== 'grant' || approval.revokedAt !== null)
        throw new DsvError('DSV_APPROVAL_NOT_FOUND');
      noteAdminAction(request, 'approval.revoke', { kind: 'approval', id: approval.approvalId });
      const outcome = await coordinator.revokeApproval(approval, caller);
      return {
        approval: presentApproval(outcome.approval, Date.now()),
        confirmedNodes: outcome.confirmedNodes,
      };
    },
  );
}
