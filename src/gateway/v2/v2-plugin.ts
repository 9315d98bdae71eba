// The v2 API as one encapsulated Fastify plugin under /v2: its own problem+json error and not-found
// handlers, the OpenAPI document generated from its routes, and the routes.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { DsvError } from '../../errors/index.ts';
import { registerApprovalRoutes } from './approval-routes.ts';
import { registerClientSideRoutes } from './client-side-routes.ts';
import { registerEnvRoutes } from './env-routes.ts';
import { registerHoldRoutes } from './hold-routes.ts';
import { registerNamespaceRoutes } from './namespace-routes.ts';
import { registerOpenApi, registerOpenApiRoute } from './openapi.ts';
import { problemJsonHandler } from './problem-json.ts';
import { registerRedundancyRoutes } from './redundancy-routes.ts';
import { registerSecretRoutes } from './secret-routes.ts';
import { registerSysRoutes } from './sys-routes.ts';
import { registerTenantKeyRoutes } from './tenant-key-routes.ts';
import type { V2Context } from './v2-context.ts';

export async function registerV2(app: FastifyInstance, context: V2Context, logger: Logger): Promise<void> {
  await app.register(
    async (v2) => {
      await registerOpenApi(v2);
      const handler = problemJsonHandler(logger);
      v2.setErrorHandler(handler);
      v2.setNotFoundHandler(async (request, reply) =>
        handler(new DsvError('DSV_ROUTE_NOT_FOUND'), request, reply),
      );
      registerSecretRoutes(v2, context);
      registerNamespaceRoutes(v2, context);
      registerEnvRoutes(v2, context);
      registerSysRoutes(v2, context);
      registerHoldRoutes(v2, context);
      registerApprovalRoutes(v2, context);
      registerTenantKeyRoutes(v2, context);
      registerRedundancyRoutes(v2, context);
      registerClientSideRoutes(v2, context);
      registerOpenApiRoute(v2);
    },
    { prefix: '/v2' },
  );
}
