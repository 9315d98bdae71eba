// The public HTTP server of a node: v1 API, health, cluster status, and (dev mode only) node control.
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import {
  connectionLimitOptions,
  quietServerOptions,
  type ConnectionLimits,
} from '../platform/fastify-options.ts';
import { DsvError } from '../errors/index.ts';
import type { ClientFacingHolder } from '../cluster/index.ts';
import { ERROR_CODE_HEADER, fromFrameworkError, v1ErrorHandler } from './http-errors.ts';
import { noteAuditSubject, registerAudit, type AuditPathHasher, type AuditSink } from '../audit/index.ts';
import { registerAdminRoutes } from './admin/admin-routes.ts';
import { registerConsole } from './console/index.ts';
import { classifyForAudit } from './audit-classification.ts';
import { requireAdmin, type RequestAuthenticator } from './tenancy.ts';
import { registerV2 } from './v2/v2-plugin.ts';
import { PROBLEM_JSON, problemBody } from './v2/problem-json.ts';
import { registerEnvRoute } from './v1/env-route.ts';
import { registerSecretRoutes } from './v1/secret-routes.ts';
import type { V1Context } from './v1/v1-context.ts';

export interface ClusterStatusFigures {
  readonly totalNodes: number;
  readonly healthyNodes: number;
  readonly suspectNodes: number;
  readonly failedNodes: number;
}

/** Dev-only control of the in-process cluster (stop/start a node to watch reads survive and repair). */
export interface DevControl {
  stopNode(nodeId: string): Promise<void>;
  startNode(nodeId: string): Promise<void>;
  nodes(): Array<{ nodeId: string; running: boolean; url: string }>;
}

/** The node config's `limits` (src/node/node-config.ts) as the public server uses them. */
export interface PublicServerLimits extends ConnectionLimits {
  readonly maxNameLength: number;
  readonly maxValueBytes: number;
  readonly maxConnections: number;
}

/** Headers every public response carries: secret-bearing bodies must never be cached or sniffed. */
export const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

export interface PublicServerOptions extends V1Context {
  readonly limits: V1Context['limits'] & PublicServerLimits;
  readonly logger: Logger;
  readonly clusterStatus: () => ClusterStatusFigures;
  readonly nodeStatus: () => unknown;
  readonly keyStatus: () => unknown;
  readonly devControl?: DevControl;
  /** Every node of the cluster and its public URL (`GET /v2/sys/cluster`). */
  readonly clusterNodes?: () => ReadonlyArray<{ readonly nodeId: string; readonly url: string }>;
  /** This node's holder, answering client-side mode's holder routes (issue #9). */
  readonly clientHolder?: ClientFacingHolder;
  /** A dev-mode node (`dsv dev`, `dsv dev --kafka`): operator read-outs stay open on it, as in session 1. */
  readonly devMode?: boolean;
  readonly bodyLimitBytes: number;
  readonly https?: { key: string | Buffer; cert: string | Buffer };
  /** The node's audit trail (I-A1): every response is recorded, secret-carrying ones before they are sent. */
  readonly audit?: { readonly sink: AuditSink; readonly hasher: AuditPathHasher };
  /** GET /readyz (issue 11): whether this node can do useful work, and why not; no authentication. */
  readonly readiness?: () => Promise<{ readonly ready: boolean }>;
  /** GET /metrics (Prometheus text) and a per-request observation under the route pattern, never the URL. */
  readonly metrics?: {
    readonly contentType: string;
    text(): Promise<string>;
    observe(method: string, route: string, status: number, seconds: number): void;
  };
}

export async function buildPublicServer(options: PublicServerOptions): Promise<FastifyInstance> {
  const connection = connectionLimitOptions(options.limits);
  const app = Fastify({
    ...quietServerOptions(options.logger, options.bodyLimitBytes),
    ...connection,
    exposeHeadRoutes: false,
    // Names are percent-encoded path segments: room for the longest allowed name, fully encoded.
    routerOptions: { maxParamLength: options.limits.maxNameLength * 12 },
    // Errors Fastify raises before routing (a malformed URL) get the v1 error body too.
    frameworkErrors: (error, _request, frameworkReply) => {
      const dsv = fromFrameworkError(error);
      const reply = frameworkReply as unknown as FastifyReply;
      void reply
        .status(dsv.status)
        .header(ERROR_CODE_HEADER, dsv.code)
        .type('application/json; charset=utf-8')
        .send({ message: dsv.code === 'DSV_INPUT_INVALID' ? 'Malformed request URL' : dsv.message });
    },
    ...(options.https ? { https: { ...connection.http, ...options.https } } : {}),
  }) as unknown as FastifyInstance;
  app.server.maxConnections = options.limits.maxConnections;
  // Before the audit hook, so a replaced (503) payload keeps them too; on every route, error and 404.
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    return payload;
  });
  await app.register(multipart, { limits: { fileSize: options.bodyLimitBytes, files: 1, fields: 10 } });
  if (options.audit) {
    registerAudit(app, {
      sink: options.audit.sink,
      hasher: options.audit.hasher,
      classify: classifyForAudit,
      renderUnavailable: (error, request) =>
        request.url.startsWith('/v2')
          ? { contentType: PROBLEM_JSON, body: JSON.stringify(problemBody(error, request.id)) }
          : {
              contentType: 'application/json; charset=utf-8',
              body: JSON.stringify({ message: error.message }),
            },
    });
  }
  // Every route authenticates through here, so the audit record always names the caller it resolved.
  const authenticator: RequestAuthenticator = {
    authenticate: async (request, tenant) => {
      const caller = await options.authenticator.authenticate(request, tenant);
      noteAuditSubject(request, {
        tenant: caller.tenant,
        accessor: caller.accessor,
        // I-T4c: filled by the caller's own checks as the request runs; the record names what was used.
        ...(caller.approvalsUsed === undefined ? {} : { approvals: caller.approvalsUsed }),
      });
      return caller;
    },
  };
  const routeContext = { ...options, authenticator };
  registerConsole(app, routeContext); // first: its session hook runs before every route (issue 12)
  app.setErrorHandler(v1ErrorHandler(options.logger));
  app.setNotFoundHandler(async (_request, reply) =>
    reply.status(404).header(ERROR_CODE_HEADER, 'DSV_ROUTE_NOT_FOUND').send({ message: 'Not found' }),
  );

  const metrics = options.metrics;
  if (metrics) {
    // The route pattern (e.g. /v2/secrets/*), never the URL: secret names are in URLs.
    app.addHook('onResponse', async (request, reply) => {
      metrics.observe(
        request.method,
        request.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
    app.get('/metrics', async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.text()),
    );
  }
  // Liveness: the process serves HTTP. `/health` is the same check, kept for compatibility.
  app.get('/health', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  app.get('/livez', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  const readiness = options.readiness;
  if (readiness) {
    app.get('/readyz', async (_request, reply) => {
      const answer = await readiness();
      return reply.status(answer.ready ? 200 : 503).send(answer);
    });
  }
  app.get('/api/v1/cluster/status', async () => options.clusterStatus());
  app.get('/api/v1/cluster/nodes', async (request) => {
    // Offsets, lag, shard counts and peers are for operators: production nodes want the root token (F8).
    if (options.devMode !== true) requireAdmin(await authenticator.authenticate(request));
    return options.nodeStatus();
  });
  registerSecretRoutes(app, routeContext);
  registerAdminRoutes(app, routeContext);
  await registerV2(app, routeContext, options.logger);
  registerEnvRoute(app, routeContext);

  const dev = options.devControl;
  if (dev) {
    app.get('/api/dev/nodes', async (request) => {
      requireAdmin(await authenticator.authenticate(request));
      return dev.nodes();
    });
    app.post<{ Params: { nodeId: string; action: string } }>(
      '/api/dev/nodes/:nodeId/:action',
      async (request, reply) => {
        requireAdmin(await authenticator.authenticate(request)); // stopping nodes is administration
        const { nodeId, action } = request.params;
        const target = dev.nodes().find((node) => node.nodeId === nodeId);
        const address = app.server.address();
        if (action === 'stop' && target && typeof address === 'object' && address !== null) {
          // Stopping the node that serves this request: a stop drains in-flight requests, this one too, so
          // answer first (202, the node marked stopping) and stop once the answer is sent.
          if (new URL(target.url).port === String(address.port)) {
            reply.raw.once('finish', () => void dev.stopNode(nodeId).catch(() => undefined));
            void reply.status(202);
            return dev.nodes().map((node) => (node.nodeId === nodeId ? { ...node, stopping: true } : node));
          }
        }
        if (action === 'stop') await dev.stopNode(nodeId);
        else if (action === 'start') await dev.startNode(nodeId);
        else throw new DsvError('DSV_ROUTE_NOT_FOUND');
        return dev.nodes();
      },
    );
  }
  return app;
}
