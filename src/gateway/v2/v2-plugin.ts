// The v2 API as one encapsulated Fastify plugin under /v2: its own problem+json error handler, its routes.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { problemJsonHandler } from './problem-json.ts';
import { registerSysRoutes } from './sys-routes.ts';
import type { V2Context } from './v2-context.ts';

export async function registerV2(app: FastifyInstance, context: V2Context, logger: Logger): Promise<void> {
  await app.register(
    async (v2) => {
      v2.setErrorHandler(problemJsonHandler(logger));
      registerSysRoutes(v2, context);
    },
    { prefix: '/v2' },
  );
}
