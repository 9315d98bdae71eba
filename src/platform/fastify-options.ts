// Fastify options every DSV server shares: our own logger, no per-request log lines (they could carry
// names of secrets), idle connections closed on shutdown and in-flight requests drained (`closeDraining`),
// so a stopped node really stops without leaving a client with no answer.
import type { FastifyInstance } from 'fastify';
import { LogController } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { DsvError } from '../errors/index.ts';

export interface QuietServerOptions {
  readonly loggerInstance: Logger;
  readonly logController: LogController;
  readonly forceCloseConnections: 'idle';
  readonly bodyLimit: number;
  readonly clientErrorHandler: (error: Error & { code?: string }, socket: Duplex) => void;
}

export function quietServerOptions(logger: Logger, bodyLimit: number): QuietServerOptions {
  return {
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // 'idle': close() drops idle keep-alive sockets but lets in-flight requests finish (drain, issue 11);
    // closeDraining bounds that wait and then cuts what is left.
    forceCloseConnections: 'idle',
    bodyLimit,
    clientErrorHandler: answerClientError,
  };
}

/**
 * What node:http refuses before any route sees the request (malformed HTTP, a NUL in the path, headers over
 * the limit, a request that took too long) answered like every other error: a stable code in the body and in
 * `x-dsv-error-code`, nothing of the request echoed (DESIGN §11, I-G2). The connection then closes, as node's
 * own answer does: the parser's state after such an error is not to be trusted.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const dsv =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new DsvError('DSV_REQUEST_TIMEOUT')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new DsvError('DSV_HEADERS_TOO_LARGE')
        : new DsvError('DSV_INPUT_INVALID', 'Malformed HTTP request');
  const body = JSON.stringify({ code: dsv.code, message: dsv.message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${dsv.status} ${STATUS_CODES[dsv.status] ?? ''}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-dsv-error-code: ${dsv.code}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** How long a stopping server waits for its in-flight requests before it cuts their connections. */
export const DRAIN_MS = 5_000;

/**
 * Closes a server the way a stopping node should: no new connections, idle ones closed at once, requests in
 * flight answered (a request arriving meanwhile on a kept-alive connection gets Fastify's 503 with
 * `Connection: close`), sockets closed as soon as they go idle; whatever is still open after `drainMs` is
 * cut. Resolves when the server is closed.
 */
export async function closeDraining(server: FastifyInstance, drainMs = DRAIN_MS): Promise<void> {
  const http = server.server;
  // A socket that answered its last request goes idle; close it now rather than after keepAliveTimeout.
  const reap = setInterval(() => http.closeIdleConnections(), 50);
  const force = setTimeout(() => http.closeAllConnections(), drainMs);
  try {
    await server.close();
  } finally {
    clearInterval(reap);
    clearTimeout(force);
  }
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
