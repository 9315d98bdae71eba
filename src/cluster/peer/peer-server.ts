// The peer API: how other nodes stage, read, endorse, recover and await on this node. Every route first
// authenticates the calling node by its own peer token (and, with TLS, its certificate), then the holder
// decides the request itself (trust-boundaries design §5–§8; I-G1, I-G4).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { fromFrameworkError } from '../../platform/fastify-errors.ts';
import { quietServerOptions } from '../../platform/fastify-options.ts';
import { DsvError } from '../../errors/index.ts';
import { parseLogEntry } from '../../secrets/index.ts';
import { sha256Hex, type ClusterManifest, type ForwardedCredential } from '../../trust/index.ts';
import type { LocalShardHolder } from '../local-shard-holder.ts';
import type { RefreshHolder } from '../refresh-holder.ts';
import { registerBatchedRoute, type PeerHandler } from './peer-batch.ts';
import { registerRefreshRoutes } from './refresh-routes.ts';
import {
  awaitSchema,
  contributeSchema,
  endorseSchema,
  fromBase64,
  PEER_NODE_HEADER,
  PEER_TOKEN_HEADER,
  readSchema,
  stageSchema,
  toBase64,
  type WireHealth,
} from './peer-wire.ts';

export interface PeerServerOptions {
  readonly holder: LocalShardHolder;
  /** This node as a participant of proactive share refresh (I-R1): the `/peer/v1/refresh/*` routes. */
  readonly refresh?: RefreshHolder;
  readonly manifest: ClusterManifest;
  /** A node revoked through the log (I-G4) is refused like a stranger. */
  readonly isRevoked: (nodeId: string) => boolean;
  readonly health: () => WireHealth;
  readonly logger: Logger;
  readonly https?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer };
}

type Body = Record<string, unknown>;

/** The coordinator's request id (one per client request, so the holders' audit records line up), or a new one. */
const requestIdOf = (body: Body): string =>
  typeof body.requestId === 'string' && /^[\w-]{1,128}$/.test(body.requestId) ? body.requestId : randomUUID();

/** The share generation a read or a recovery names (I-R1), when it names one. */
const generationOf = (body: Body): { generation?: number } =>
  typeof body.generation === 'number' ? { generation: body.generation } : {};

export function buildPeerServer(options: PeerServerOptions): FastifyInstance {
  const app = Fastify({
    ...quietServerOptions(options.logger, 64 * 1024 * 1024),
    // TLS 1.3 only: it has no renegotiation, so a connection keeps the one client certificate its handshake
    // verified, and the member check (node/tls/peer-identity.ts) reads it once per connection (issue #10).
    ...(options.https
      ? {
          https: {
            ...options.https,
            requestCert: true,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.3' as const,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;
  const tokenHashes = new Map(
    options.manifest.members.map((member) => [member.nodeId, Buffer.from(member.peerTokenHash, 'hex')]),
  );
  const peerOf = new WeakMap<FastifyRequest, string>();

  app.addHook('onRequest', async (request) => {
    const nodeId = String(request.headers[PEER_NODE_HEADER] ?? '');
    const expected = tokenHashes.get(nodeId);
    const presented = Buffer.from(sha256Hex(String(request.headers[PEER_TOKEN_HEADER] ?? '')), 'hex');
    // Constant-time comparison of two SHA-256 digests (equal length by construction).
    if (!expected || !timingSafeEqual(presented, expected) || options.isRevoked(nodeId)) {
      throw new DsvError('DSV_PEER_REJECTED');
    }
    peerOf.set(request, nodeId);
  });
  const from = (request: FastifyRequest): string => peerOf.get(request) ?? '';

  app.setErrorHandler(async (error, _request, reply) => {
    const validation = (error as { validation?: unknown }).validation;
    // A refused body (too large, not JSON) is a stable 4xx, never a 500 (fastify-errors.ts).
    const dsv = validation
      ? new DsvError('DSV_INPUT_INVALID', 'Invalid peer request')
      : fromFrameworkError(error);
    if (dsv.status >= 500 && dsv.status !== 503 && dsv.status !== 507)
      options.logger.error({ err: error }, 'peer request failed');
    return reply.status(dsv.status).send({ code: dsv.code, message: dsv.message });
  });

  // Stage, read and endorse, each alone or batched (issue #10): the holder decides every item itself.
  const stage: PeerHandler = async (raw, peer) => {
    const body = raw as {
      tenant: string;
      partition: number;
      minOffset: number;
      shards: Array<Record<string, unknown> & { share: string; blinding: string; commitment: string }>;
    };
    const receipts = await options.holder.stage(
      {
        tenant: body.tenant,
        partition: body.partition,
        minOffset: body.minOffset,
        shards: body.shards.map((shard) => ({
          namespace: String(shard.namespace),
          name: String(shard.name),
          version: Number(shard.version),
          writeId: String(shard.writeId),
          index: Number(shard.index),
          share: fromBase64(shard.share),
          blinding: fromBase64(shard.blinding),
          commitment: shard.commitment,
        })),
      },
      peer,
    );
    return { receipts };
  };

  const read: PeerHandler = async (body, peer) => {
    const found = await options.holder.read(
      {
        key: { tenant: String(body.tenant), namespace: String(body.namespace), name: String(body.name) },
        partition: Number(body.partition),
        minOffset: Number(body.minOffset),
        version: Number(body.version),
        writeId: String(body.writeId),
        credential: body.credential as ForwardedCredential,
        purpose: body.purpose === 'compare' ? 'compare' : 'read',
        requestId: requestIdOf(body),
        ...generationOf(body),
      },
      peer,
    );
    if (!found) return undefined;
    return {
      index: found.index,
      share: toBase64(found.share),
      ...(found.blinding ? { blinding: toBase64(found.blinding) } : {}),
    };
  };

  const endorse: PeerHandler = async (body, peer) => {
    const entry = parseLogEntry(body.entry);
    if (!entry) throw new DsvError('DSV_INPUT_INVALID', 'Not a log record');
    const sig = await options.holder.endorse(
      {
        partition: Number(body.partition),
        entry,
        credential: body.credential as ForwardedCredential,
        requestId: requestIdOf(body),
      },
      peer,
    );
    return { sig };
  };

  registerBatchedRoute(app, 'stage', stageSchema, stage, from, options.logger);
  registerBatchedRoute(app, 'read', readSchema, read, from, options.logger);
  registerBatchedRoute(app, 'endorse', endorseSchema, endorse, from, options.logger);

  app.post<{ Body: Body }>('/peer/v1/recover', { schema: { body: contributeSchema } }, async (request) => {
    const body = request.body;
    const contribution = await options.holder.contribute(
      {
        key: { tenant: String(body.tenant), namespace: String(body.namespace), name: String(body.name) },
        partition: Number(body.partition),
        minOffset: Number(body.minOffset),
        version: Number(body.version),
        writeId: String(body.writeId),
        target: Number(body.target),
        helpers: body.helpers as number[],
        session: String(body.session),
        ...generationOf(body),
      },
      from(request),
    );
    return { contribution: toBase64(contribution) };
  });

  app.post<{ Body: Body }>('/peer/v1/await-applied', { schema: { body: awaitSchema } }, async (request) => {
    const body = request.body;
    await options.holder.awaitApplied(Number(body.partition), Number(body.offset), Number(body.timeoutMs));
    return { ok: true };
  });

  if (options.refresh) registerRefreshRoutes(app, options.refresh, from);
  app.get('/peer/v1/health', async () => options.health());
  return app;
}
