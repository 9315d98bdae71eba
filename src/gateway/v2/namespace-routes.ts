// GET /v2/namespaces — the namespaces of the caller's tenant in which it may list a live secret (issue 12: the
// console browses them). Paged and filtered like the names of a namespace (list-names.ts): a namespace where
// the caller may list nothing never appears, in a page or in a cursor.
import type { FastifyInstance } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';
import { listNamespaces } from './list-names.ts';
import { authenticateV2, callerOf } from './v2-caller.ts';
import type { V2Context } from './v2-context.ts';
import { ERROR_RESPONSES, NAMESPACES_QUERY, NAMESPACES_RESPONSE } from './v2-schemas.ts';

export function registerNamespaceRoutes(app: FastifyInstance, context: V2Context): void {
  app.get<{ Querystring: { prefix: string; limit: number; cursor?: string } }>(
    '/namespaces',
    {
      onRequest: authenticateV2(context),
      schema: {
        tags: ['secrets'],
        summary:
          'List the namespaces of the tenant holding a secret the caller may list, ascending, paginated',
        querystring: NAMESPACES_QUERY,
        response: {
          200: { ...NAMESPACES_RESPONSE, description: 'One page of namespaces' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      noteAuditSubject(request, { operation: 'namespace.list', carriesSecret: false });
      const { prefix, limit, cursor } = request.query;
      return listNamespaces(context.coordinator, callerOf(request), prefix.normalize('NFC'), cursor, limit);
    },
  );
}
