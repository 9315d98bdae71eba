// GET /v2/sys/shards/{namespace}/{name}[?tenant=] — shard redundancy of a secret (issue 12): for each version,
// which placement nodes hold a shard, which are missing one or unreachable. Metadata only (no value, no
// shard); for root (any tenant) or a tenant admin (its own tenant), like the rest of /v2/sys.
import type { FastifyInstance } from 'fastify';
import { DsvError } from '../../errors/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { tenantQueryCaller } from '../tenancy.ts';
import { isoTime, isoTimeOrNull, secretTarget } from './secret-target.ts';
import type { V2Context } from './v2-context.ts';

export function registerRedundancyRoutes(app: FastifyInstance, context: V2Context): void {
  app.get<{ Params: { namespace: string; name: string }; Querystring: { tenant?: string } }>(
    '/sys/shards/:namespace/:name',
    {
      schema: {
        tags: ['sys'],
        summary:
          'Shard redundancy of a secret: which nodes hold a shard of each version (root or tenant admin)',
      },
    },
    async (request) => {
      noteAdminAction(request, 'shards.read');
      const requested = request.query.tenant;
      const caller = await tenantQueryCaller(context.authenticator, request, requested);
      const tenant = caller.tenant;
      const target = secretTarget(request.params, context.limits);
      // I-T4: a name is tenant data; root learns whether one exists only under an approval covering it.
      if (caller.root && !caller.can('list', target.namespace, target.name))
        throw new DsvError('DSV_APPROVAL_REQUIRED');
      const report = await context.coordinator.redundancy({ tenant, ...target });
      return {
        tenant,
        ...target,
        n: report.n,
        k: report.k,
        nodes: report.nodes,
        versions: report.versions.map((version) => ({
          ...version,
          validFrom: isoTime(version.validFrom),
          validTo: isoTimeOrNull(version.validTo),
        })),
      };
    },
  );
}
