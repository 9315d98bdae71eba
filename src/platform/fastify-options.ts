// Fastify options every DSV server shares: our own logger, no per-request log lines (they could carry
// names of secrets), connections closed on shutdown so a stopped node really stops.
import { LogController } from 'fastify';
import type { Logger } from 'pino';

export function quietServerOptions(
  logger: Logger,
  bodyLimit: number,
): FastifyServerOptions & { loggerInstance: Logger } {
  return {
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit,
  };
}
