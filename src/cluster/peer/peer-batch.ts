// Peer calls of one event-loop turn, sent together (issue #10): a coordinator's concurrent reads, stages and
// endorsements to one peer share one request and one answer. Both sides are here so they cannot drift: the
// server answers each item exactly as the item's own route would (the same handler, the same calling node),
// and the client gives each caller exactly the outcome that route would have given it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DsvError, isErrorCode, toDsvError } from '../../errors/index.ts';
import { TickBatcher, type Settled } from '../../platform/tick-batcher.ts';

/** The operations that may be batched, each with its own route `/peer/v1/<op>` and `/peer/v1/<op>-batch`. */
export type BatchedOp = 'read' | 'stage' | 'endorse';

/** Items one batch may carry: bounded, so one request cannot make a holder do unbounded work. */
export const MAX_BATCH_ITEMS = 64;

/** How long a peer without batch routes is asked one call at a time before batches are tried again. */
const SINGLE_CALLS_MS = 60_000;

/** Share bytes one batch may carry (request or answer), so a batch stays far below the peer body limit. */
const MAX_BATCH_SHARE_BYTES = 8 * 1024 * 1024;

/**
 * How many items a batch to a peer may carry when a value may be `maxValueBytes` long: a share is about the
 * value's size (plus tag and blinding, base64 on the wire), so large values batch less, and 16 MiB ones not.
 */
export function batchItemsFor(maxValueBytes: number): number {
  const wireBytes = Math.ceil(((maxValueBytes + 64) * 4) / 3);
  return Math.max(1, Math.min(MAX_BATCH_ITEMS, Math.floor(MAX_BATCH_SHARE_BYTES / wireBytes)));
}

/** The base64 share bytes an item carries itself (a stage's shards); reads and endorsements carry none. */
function wireShareBytes(item: Body): number {
  const shards = item.shards;
  if (!Array.isArray(shards)) return 0;
  return shards.reduce<number>((sum, shard: unknown) => {
    const share = (shard as { share?: unknown } | null)?.share;
    return sum + (typeof share === 'string' ? share.length : 0);
  }, 0);
}

/** One item's answer: its route's JSON body, or the error code and status it would have had alone. */
export type WireBatchResult =
  | { readonly answer: Record<string, unknown> }
  | { readonly refused: { readonly code: string; readonly status: number } };

type Body = Record<string, unknown>;

/** What the route answers for one request body; `undefined` is the route's 404 ("not found"). */
export type PeerHandler = (body: Body, peer: string) => Promise<Body | undefined>;

/**
 * Registers `/peer/v1/<op>` and `/peer/v1/<op>-batch` on one handler. Each batch item is validated by the
 * item schema, decided by the handler with the calling node the peer API authenticated, and answered on its
 * own: one item's refusal is that item's answer, never another's.
 */
export function registerBatchedRoute(
  app: FastifyInstance,
  op: BatchedOp,
  itemSchema: object,
  handler: PeerHandler,
  from: (request: FastifyRequest) => string,
  logger: Logger,
): void {
  app.post<{ Body: Body }>(`/peer/v1/${op}`, { schema: { body: itemSchema } }, async (request, reply) => {
    const answer = await handler(request.body, from(request));
    if (answer === undefined)
      return reply.status(404).send({ code: 'DSV_SECRET_NOT_FOUND', message: 'No shard' });
    return answer;
  });
  const batchSchema = {
    type: 'object',
    required: ['items'],
    additionalProperties: false,
    properties: { items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS, items: itemSchema } },
  };
  app.post<{ Body: { items: Body[] } }>(
    `/peer/v1/${op}-batch`,
    { schema: { body: batchSchema } },
    async (request) => {
      const peer = from(request);
      const results = await Promise.all(
        request.body.items.map((body) =>
          handler(body, peer).then(
            (answer): WireBatchResult =>
              answer === undefined ? { refused: { code: 'DSV_SECRET_NOT_FOUND', status: 404 } } : { answer },
            (error: unknown): WireBatchResult => {
              const dsv = toDsvError(error);
              if (dsv.status >= 500 && dsv.status !== 503 && dsv.status !== 507)
                logger.error({ err: error, op }, 'peer batch item failed');
              return { refused: { code: dsv.code, status: dsv.status } };
            },
          ),
        ),
      );
      return { results };
    },
  );
}

/** One peer call as the client makes it: JSON or undefined for an `absent` status; a DsvError otherwise. */
export type PeerCall = (path: string, body: Body, absentStatuses: readonly number[]) => Promise<unknown>;

/**
 * The client side: calls of one turn to one peer go in one `-batch` request; a lone call takes the plain
 * route. A peer without batch routes (an older release answers 404 to them) is asked one call at a time
 * for a minute. `read` answers `undefined` for a 404 as its route does; the others treat 404 as an error.
 */
export class BatchedPeerCalls {
  readonly #call: PeerCall;
  readonly #peer: string;
  readonly #maxBatch: number;
  readonly #batchers = new Map<string, TickBatcher<Body, unknown>>();
  /** Until when this peer is asked one call at a time: it answered 404 to a batch route (an older release). */
  #singleUntil = 0;

  constructor(peer: string, call: PeerCall, maxValueBytes: number) {
    this.#peer = peer;
    this.#call = call;
    this.#maxBatch = batchItemsFor(maxValueBytes);
  }

  call(op: BatchedOp, body: Body): Promise<unknown> {
    // One lane per operation and partition: the holder catches each item up to its partition first, and a
    // lagging partition must not hold up (or time out) another partition's items.
    const lane = `${op}:${String(body.partition)}`;
    let batcher = this.#batchers.get(lane);
    if (!batcher) {
      batcher = new TickBatcher({
        maxBatch: this.#maxBatch,
        // What an item sends (a stage's shares) counts against the batch's share bytes too.
        sizeOf: (item: Body) => wireShareBytes(item),
        maxSize: MAX_BATCH_SHARE_BYTES,
        send: (bodies) => this.#send(op, bodies),
      });
      this.#batchers.set(lane, batcher);
    }
    return batcher.call(body);
  }

  async #send(op: BatchedOp, bodies: readonly Body[]): Promise<Settled<unknown>[]> {
    const absent = op === 'read' ? [404] : [];
    if (bodies.length > 1 && Date.now() >= this.#singleUntil) {
      const answer = await this.#call(`/peer/v1/${op}-batch`, { items: bodies }, [404]);
      // Asked again after a while: a peer upgraded in a rolling upgrade then batches without a restart here.
      if (answer === undefined) this.#singleUntil = Date.now() + SINGLE_CALLS_MS;
      else {
        // Whatever the peer sent, every caller settles: one answer per item, or none for any of them.
        const results: unknown =
          typeof answer === 'object' && answer !== null ? Reflect.get(answer, 'results') : undefined;
        if (!Array.isArray(results) || results.length !== bodies.length)
          throw new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${this.#peer} gave no answer`);
        return results.map((result: unknown) => this.#settled(result, absent));
      }
    }
    return Promise.all(
      bodies.map((body) =>
        this.#call(`/peer/v1/${op}`, body, absent).then(
          (value): Settled<unknown> => ({ ok: true, value }),
          (error: unknown): Settled<unknown> => ({ ok: false, error }),
        ),
      ),
    );
  }

  /** One batch item as its own route would have answered it. */
  #settled(result: unknown, absent: readonly number[]): Settled<unknown> {
    const { answer, refused } = (typeof result === 'object' && result !== null ? result : {}) as {
      answer?: unknown;
      refused?: { code?: unknown; status?: unknown } | null;
    };
    if (typeof answer === 'object' && answer !== null) return { ok: true, value: answer };
    const status = refused?.status;
    if (typeof status === 'number' && absent.includes(status)) return { ok: true, value: undefined };
    const code = refused?.code;
    if (typeof code !== 'string')
      return { ok: false, error: new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${this.#peer} gave no answer`) };
    return {
      ok: false,
      error: new DsvError(isErrorCode(code) ? code : 'DSV_NODE_UNAVAILABLE', `Peer ${this.#peer} refused`),
    };
  }
}
