// The peer API: how other nodes stage, read and await shards on this node. Every route is authenticated
// before any shard is touched (I-G1); an unauthenticated caller learns nothing.
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { quietServerOptions } from '../../platform/fastify-options.ts';
import { DsvError, toDsvError } from '../../errors/index.ts';
import type { LocalShardHolder } from '../local-shard-holder.ts';
import {
  awaitSchema,
  fromBase64,
  PEER_TOKEN_HEADER,
  readSchema,
  stageSchema,
  toBase64,
  type WireAwaitRequest,
  type WireHealth,
  type WireReadRequest,
  type WireStageRequest,
} from './peer-wire.ts';

export interface PeerServerOptions {
  readonly holder: LocalShardHolder;
  readonly peerToken: string;
  readonly health: () => WireHealth;
  readonly logger: Logger;
  readonly https?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer };
}

export function buildPeerServer(options: PeerServerOptions): FastifyInstance {
  const app = Fastify({
    ...quietServerOptions(options.logger, 64 * 1024 * 1024),
    ...(options.https ? { https: { ...options.https, requestCert: true, rejectUnauthorized: true } } : {}),
  }) as unknown as FastifyInstance;
  const expected = Buffer.from(options.peerToken, 'utf8');

  app.addHook('onRequest', async (request) => {
    const presented = Buffer.from(String(request.headers[PEER_TOKEN_HEADER] ?? ''), 'utf8');
    // Constant-time comparison of equal-length buffers; a length mismatch is refused without comparing.
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new DsvError('DSV_PEER_REJECTED');
    }
  });

  app.setErrorHandler(async (error, _request, reply) => {
    const validation = (error as { validation?: unknown }).validation;
    const dsv = validation ? new DsvError('DSV_INPUT_INVALID', 'Invalid peer request') : toDsvError(error);
    if (dsv.status >= 500 && dsv.status !== 503) options.logger.error({ err: error }, 'peer request failed');
    return reply.status(dsv.status).send({ code: dsv.code, message: dsv.message });
  });

  app.post<{ Body: WireStageRequest }>(
    '/peer/v1/stage',
    { schema: { body: stageSchema } },
    async (request, reply) => {
      const body = request.body;
      await options.holder.stage({
        tenant: body.tenant,
        partition: body.partition,
        minOffset: body.minOffset,
        shards: body.shards.map((shard) => ({ ...shard, share: fromBase64(shard.share) })),
      });
      return reply.status(204).send();
    },
  );

  app.post<{ Body: WireReadRequest }>(
    '/peer/v1/read',
    { schema: { body: readSchema } },
    async (request, reply) => {
      const body = request.body;
      const found = await options.holder.read({
        key: { tenant: body.tenant, namespace: body.namespace, name: body.name },
        partition: body.partition,
        minOffset: body.minOffset,
        version: body.version,
        writeId: body.writeId,
      });
      if (!found) return reply.status(404).send({ code: 'DSV_SECRET_NOT_FOUND', message: 'No shard' });
      return { index: found.index, share: toBase64(found.share) };
    },
  );

  app.post<{ Body: WireAwaitRequest }>(
    '/peer/v1/await-applied',
    { schema: { body: awaitSchema } },
    async (request) => {
      const body = request.body;
      await options.holder.awaitApplied(body.partition, body.offset, body.timeoutMs);
      return { ok: true };
    },
  );

  app.get('/peer/v1/health', async () => options.health());
  return app;
}
