// Fastify options every DSV server shares: our own logger, no per-request log lines (they could carry
// names of secrets), connections closed on shutdown so a stopped node really stops.
import { LogController } from 'fastify';
import type { Logger } from 'pino';

export interface QuietServerOptions {
  readonly loggerInstance: Logger;
  readonly logController: LogController;
  readonly forceCloseConnections: boolean;
  readonly bodyLimit: number;
}

export function quietServerOptions(logger: Logger, bodyLimit: number): QuietServerOptions {
  return {
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit,
  };
}
