// Client-side mode (issue #9, docs/client-side-protocol.md): this node orders a client's writes and resolves
// versions for it (bearer token), and, as a holder, takes the client's shards and releases its own shard to
// the client (the client's credential for this node only, I-G3). No route here ever sees a value.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';
import type { ClientFacingHolder, ResolvedVersion } from '../../cluster/index.ts';
import { requireCapability } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import { NODE_CREDENTIAL_HEADER } from '../bearer-authenticator.ts';
import type { Endorsement } from '../../control/index.ts';
import { parseLogEntry, type CommitShard } from '../../secrets/index.ts';
import { readSelector } from './secret-handlers.ts';
import { canonicalPart, isoTime, isoTimeOrNull, secretTarget } from './secret-target.ts';
import { authenticateV2, callerOf } from './v2-caller.ts';
import type { V2Context } from './v2-context.ts';
import {
  CLIENT_COMMIT_BODY,
  CLIENT_ENDORSE_BODY,
  CLIENT_ORDER_BODY,
  CLIENT_SHARD_BODY,
  CLIENT_STAGE_BODY,
  CLIENT_WRITE_BODY,
  HOLDER_HEADERS,
  WRITE_ID_PARAMS,
} from './client-side-schemas.ts';

const tags = ['client-side'];
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
const base64 = (value: Uint8Array): string => Buffer.from(value).toString('base64');

type WriteOpBody =
  | { op: 'create' | 'update' | 'delete'; namespace: string; name: string; expectedVersion?: number }
  | { op: 'read'; namespace: string; name: string; version?: number };

export function registerClientSideRoutes(app: FastifyInstance, context: V2Context): void {
  const onRequest = authenticateV2(context);
  const urlOf = (nodeId: string): string | null =>
    context.clusterNodes?.().find((node) => node.nodeId === nodeId)?.url ?? null;
  const withUrls = (resolved: ResolvedVersion) => ({
    ...resolved,
    validFrom: isoTime(resolved.validFrom),
    validTo: isoTimeOrNull(resolved.validTo),
    holders: resolved.holders.map((holder) => ({ ...holder, url: urlOf(holder.nodeId) })),
  });

  // Unauthenticated: a client needs the cluster id to derive any credential (I-G3). It names only the cluster,
  // its sharing parameters and the nodes' public URLs, which every client has anyway; no offsets or health.
  app.get('/client-side/topology', { schema: { tags } }, async (request) => {
    noteAuditSubject(request, { operation: 'client-side.topology', carriesSecret: false });
    const { clusterId, n, k, w } = context.coordinator.sharing;
    return { clusterId, sharing: { n, k, w }, nodes: context.clusterNodes?.() ?? [] };
  });

  app.post<{ Body: { ops: WriteOpBody[]; attempt?: number } }>(
    '/client-side/writes/prepare',
    { onRequest, schema: { tags, body: CLIENT_WRITE_BODY } },
    async (request) => {
      const caller = callerOf(request);
      noteAuditSubject(request, { operation: 'client-side.prepare', carriesSecret: false });
      // One client-side write names at most as many secrets as one server-side .env transform may.
      const maxOps = context.limits.maxEnvSecrets ?? Infinity;
      if (request.body.ops.length > maxOps) {
        throw new DsvError(
          'DSV_ENV_BUDGET_EXCEEDED',
          `A client-side write names ${request.body.ops.length} secrets; at most ${maxOps} per request`,
        );
      }
      const ops = request.body.ops.map((op) => {
        const target = secretTarget(op, context.limits);
        // I-G1: every op is authorised here before anything is ordered; endorsers check again (I-T3).
        requireCapability(caller, op.op, target.namespace, target.name);
        if (op.op === 'read' && op.version !== undefined)
          requireCapability(caller, 'history', target.namespace, target.name);
        return { ...op, ...target };
      });
      noteAuditSubject(request, { paths: ops.map(({ namespace, name }) => ({ namespace, name })) });
      const key = request.headers['idempotency-key'];
      const idempotencyKey =
        typeof key !== 'string'
          ? undefined
          : request.body.attempt === undefined
            ? key
            : `${key}\n${request.body.attempt}`; // as the server-side upsert's attempts (conditional-write.ts)
      const prepared = await context.coordinator.prepareClientWrite(caller.tenant, ops, {
        caller,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      return { ...prepared, nodes: context.clusterNodes?.() ?? [] };
    },
  );

  app.post<{ Body: { writeId: string; endorsements: Endorsement[] } }>(
    '/client-side/writes',
    { onRequest, schema: { tags, body: CLIENT_ORDER_BODY } },
    async (request) => {
      noteAuditSubject(request, { operation: 'client-side.write', carriesSecret: false });
      const ordered = await context.coordinator.orderClientWrite(
        callerOf(request),
        request.body.writeId,
        request.body.endorsements,
      );
      if (ordered.duplicate) return ordered;
      return {
        ...ordered,
        coordinator: { nodeId: ordered.coordinator, url: urlOf(ordered.coordinator) },
        plan: ordered.plan.map((op) => ({
          ...op,
          ...(op.holders
            ? { holders: op.holders.map((holder) => ({ ...holder, url: urlOf(holder.nodeId) })) }
            : {}),
          ...(op.previous ? { previous: withUrls(op.previous) } : {}),
          ...(op.resolved ? { resolved: withUrls(op.resolved) } : {}),
        })),
      };
    },
  );

  app.post<{ Params: { writeId: string }; Body: { receipts: CommitShard[]; unchanged?: number[] } }>(
    '/client-side/writes/:writeId/commit',
    { onRequest, schema: { tags, params: WRITE_ID_PARAMS, body: CLIENT_COMMIT_BODY } },
    async (request) => {
      noteAuditSubject(request, { operation: 'client-side.commit', carriesSecret: false });
      const results = await context.coordinator.commitClientWrite(
        callerOf(request),
        request.params.writeId,
        request.body.receipts,
        request.body.unchanged ?? [],
      );
      return { results };
    },
  );

  app.post<{ Params: { writeId: string } }>(
    '/client-side/writes/:writeId/abort',
    { onRequest, schema: { tags, params: WRITE_ID_PARAMS } },
    async (request, reply) => {
      noteAuditSubject(request, { operation: 'client-side.abort', carriesSecret: false });
      await context.coordinator.abortClientWrite(callerOf(request), request.params.writeId);
      return reply.status(204).send();
    },
  );

  // Any node answers the caller's own write as its view has it: the client checks a commit at a node other
  // than the coordinator, which could otherwise answer a commit it never appended (issue #9).
  app.get<{ Params: { writeId: string } }>(
    '/client-side/writes/:writeId',
    { onRequest, schema: { tags, params: WRITE_ID_PARAMS } },
    async (request) => {
      noteAuditSubject(request, { operation: 'client-side.write-status', carriesSecret: false });
      return context.coordinator.clientWriteStatus(callerOf(request), request.params.writeId);
    },
  );

  app.get<{ Params: { namespace: string; name: string }; Querystring: Record<string, unknown> }>(
    '/client-side/resolve/:namespace/:name',
    { onRequest, schema: { tags } },
    async (request, reply) => {
      const caller = callerOf(request);
      const target = secretTarget(request.params, context.limits);
      noteAuditSubject(request, { operation: 'client-side.resolve', carriesSecret: false, ...target });
      const query = request.query;
      const selector = readSelector({
        ...(query.version === undefined ? {} : { version: Number(query.version) }),
        ...(query.asOf === undefined ? {} : { asOf: query.asOf }),
      });
      requireCapability(caller, 'read', target.namespace, target.name);
      if (!('latest' in selector)) requireCapability(caller, 'history', target.namespace, target.name);
      const resolved = await context.coordinator.resolveForClient(
        { tenant: caller.tenant, ...target },
        selector,
      );
      return reply.header('cache-control', 'no-store').send(withUrls(resolved));
    },
  );

  registerHolderRoutes(app, context);
}

/** The holder half: no bearer token, only the client's credential for this node, judged by the holder. */
function registerHolderRoutes(app: FastifyInstance, context: V2Context): void {
  // The v2 authenticator first: a request without a valid credential is refused before the holder waits on
  // the log for it, and every holder call counts against the tenant's request quota (DESIGN §9). The holder
  // then authenticates and judges the same credential itself (I-S4c, I-S5).
  const onRequest = authenticateV2(context);
  const holder = (): ClientFacingHolder => {
    if (!context.clientHolder) throw new DsvError('DSV_ROUTE_NOT_FOUND');
    return context.clientHolder;
  };
  const credentialOf = (request: FastifyRequest) => {
    const value = request.headers[NODE_CREDENTIAL_HEADER];
    if (typeof value !== 'string' || value === '') throw new DsvError('DSV_AUTH_REQUIRED');
    return { kind: 'token' as const, credential: value };
  };

  app.post<{ Body: { partition: number; intent: unknown } }>(
    '/client-side/endorse',
    { onRequest, schema: { tags, headers: HOLDER_HEADERS, body: CLIENT_ENDORSE_BODY } },
    async (request) => {
      noteAuditSubject(request, { operation: 'client-side.endorse', carriesSecret: false });
      const entry = parseLogEntry(request.body.intent);
      if (!entry) throw new DsvError('DSV_INPUT_INVALID', 'Not a log record');
      const sig = await holder().endorseForClient({
        partition: request.body.partition,
        entry,
        credential: credentialOf(request),
        requestId: request.id,
      });
      return { node: context.coordinator.nodeId, sig };
    },
  );

  app.post<{
    Body: {
      tenant: string;
      partition: number;
      minOffset: number;
      shards: Array<{
        namespace: string;
        name: string;
        version: number;
        writeId: string;
        index: number;
        share: string;
        blinding: string;
        commitment: string;
      }>;
    };
  }>(
    '/client-side/holder/stage',
    { onRequest, schema: { tags, headers: HOLDER_HEADERS, body: CLIENT_STAGE_BODY } },
    async (request) => {
      noteAuditSubject(request, { operation: 'client-side.stage', carriesSecret: false });
      const body = request.body;
      const receipts = await holder().stageForClient(
        {
          tenant: body.tenant,
          partition: body.partition,
          minOffset: body.minOffset,
          shards: body.shards.map((shard) => ({
            ...shard,
            namespace: canonicalPart(shard.namespace, 'namespace', context.limits),
            name: canonicalPart(shard.name, 'name', context.limits),
            share: bytes(shard.share),
            blinding: bytes(shard.blinding),
          })),
        },
        credentialOf(request),
      );
      return { receipts };
    },
  );

  app.post<{
    Body: {
      tenant: string;
      namespace: string;
      name: string;
      version: number;
      writeId: string;
      partition: number;
      minOffset: number;
      purpose: 'read' | 'compare';
      generation?: number;
      latest?: boolean;
    };
  }>(
    '/client-side/holder/shard',
    { onRequest, schema: { tags, headers: HOLDER_HEADERS, body: CLIENT_SHARD_BODY } },
    async (request, reply) => {
      // The holder writes its own durable release record before the shard leaves (I-S5, I-A1); one share
      // alone reveals nothing of the value (Shamir), so this response is not itself secret-bearing.
      noteAuditSubject(request, { operation: 'client-side.shard', carriesSecret: false });
      const body = request.body;
      const key = {
        tenant: body.tenant,
        namespace: canonicalPart(body.namespace, 'namespace', context.limits),
        name: canonicalPart(body.name, 'name', context.limits),
      };
      const released = await holder().readForClient({
        key,
        partition: body.partition,
        minOffset: body.minOffset,
        version: body.version,
        writeId: body.writeId,
        credential: credentialOf(request),
        purpose: body.purpose,
        requestId: request.id,
        ...(body.generation === undefined ? {} : { generation: body.generation }),
        ...(body.latest === true ? { latest: true } : {}),
      });
      if (!released) throw new DsvError('DSV_SECRET_NOT_FOUND', 'This holder has no shard of that version');
      return reply.header('cache-control', 'no-store').send({
        index: released.index,
        share: base64(released.share),
        ...(released.blinding ? { blinding: base64(released.blinding) } : {}),
      });
    },
  );
}
