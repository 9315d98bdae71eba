// GET /v2/sys/shards/{namespace}/{name}[?tenant=] — shard redundancy of a secret (issue 12): for each version,
// which placement nodes hold a shard, which are missing one or unreachable. Metadata only (no value, no
// shard); for root (any tenant) or a tenant admin (its own tenant), like the rest of /v2/sys.
import type { FastifyInstance } from 'fastify';
import { DsvError } from '../../errors/index.ts';
import { noteAdminAction } from '../audit-classification.ts';
import { isoTime, isoTimeOrNull, secretTarget } from './secret-target.ts';
import type { V2Context } from './v2-context.ts';

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

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
      const caller = await context.authenticator.authenticate(request);
      const requested = request.query.tenant;
      if (requested !== undefined && !TENANT.test(requested))
        throw new DsvError('DSV_INPUT_INVALID', 'tenant is not a valid tenant name');
      let tenant = caller.tenant;
      if (caller.root) tenant = requested ?? caller.tenant;
      else if ((requested !== undefined && requested !== caller.tenant) || !caller.can('admin', '*', '*'))
        throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
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
