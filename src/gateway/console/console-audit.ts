// GET /ui/api/audit/{namespace}/{name}[?tenant=] — the audit trail of one secret path on this node, found by
// its HMAC (as `dsv audit touched` does), with the verification of the whole chain (issue 12). Root, or a
// tenant admin for its own tenant. Records carry no value: operation, status, accessor, time, request id.
import type { FastifyInstance } from 'fastify';
import { auditTrailFollower, type AuditPathHasher, type AuditSink } from '../../audit/index.ts';
import { DsvError } from '../../errors/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { tenantQueryCaller } from '../tenancy.ts';
import { secretTarget } from '../v2/secret-target.ts';
import type { V2Context } from '../v2/v2-context.ts';
import { consoleHeaders } from './console-static.ts';

export interface ConsoleAuditContext extends V2Context {
  /** `dir`: the node's audit directory (its sink may be wrapped, e.g. timed, and not say). */
  readonly audit?: { readonly sink: AuditSink; readonly hasher: AuditPathHasher; readonly dir?: string };
}

const MAX_RECORDS = 200;

export function registerConsoleAudit(app: FastifyInstance, context: ConsoleAuditContext): void {
  app.get<{ Params: { namespace: string; name: string }; Querystring: { tenant?: string } }>(
    '/ui/api/audit/:namespace/:name',
    async (request, reply) => {
      noteAdminAction(request, 'audit.touched');
      consoleHeaders(reply);
      const requested = request.query.tenant;
      const caller = await tenantQueryCaller(context.authenticator, request, requested);
      const tenant = caller.tenant;
      const target = secretTarget(request.params, context.limits);
      // I-T4: a name is tenant data; root searches a path's trail only under an approval covering it.
      if (caller.root && !caller.can('list', target.namespace, target.name))
        throw new DsvError('DSV_APPROVAL_REQUIRED');
      const dir = context.audit?.dir;
      if (!context.audit || dir === undefined)
        throw new DsvError('DSV_ROUTE_NOT_FOUND', 'This node keeps no audit trail');
      const pathHmac = context.audit.hasher.pathHmac(tenant, target.namespace, target.name);
      const trail = auditTrailFollower(dir);
      const verification = await trail.status();
      const found = await trail.search(
        pathHmac,
        (record) => record.pathHmac === pathHmac && record.tenant === tenant,
        MAX_RECORDS,
      );
      return {
        tenant,
        ...target,
        node: verification.node,
        verified: verification.firstBrokenLink === undefined,
        chainRecords: verification.records,
        brokenLink:
          verification.firstBrokenLink === undefined
            ? null
            : {
                seq: verification.firstBrokenLink.seq,
                reason: verification.firstBrokenLink.reason,
                detail: verification.firstBrokenLink.detail,
              },
        total: found.total,
        records: found.records.map((record) => ({
          seq: record.seq,
          time: record.time,
          operation: record.operation,
          outcome: record.outcome,
          status: record.status,
          accessor: record.accessor,
          requestId: record.requestId,
        })),
      };
    },
  );
}
