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

/** How long a client may take, and how many connections and requests it may hold (slow-body defence). */
export interface ConnectionLimits {
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxRequestsPerSocket: number;
}

/**
 * Fastify/node:http options bounding one connection: the whole request must arrive within
 * `requestTimeoutMs` (node checks at `connectionsCheckingInterval`, so that is kept well below it), an idle
 * socket closes after `connectionTimeoutMs`. The connection cap is `server.maxConnections`, set after build.
 * With https, merge `http` into the https options (node:https takes the same server options).
 */
export function connectionLimitOptions(limits: ConnectionLimits) {
  const checkEvery = Math.max(50, Math.min(1000, Math.floor(limits.requestTimeoutMs / 4)));
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    // Given to the server's constructor too: node only enforces requestTimeout while headersTimeout is not
    // above it, and Fastify sets requestTimeout after construction, leaving headersTimeout at 60 s.
    http: {
      connectionsCheckingInterval: checkEvery,
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(60_000, limits.requestTimeoutMs),
    },
  };
}
