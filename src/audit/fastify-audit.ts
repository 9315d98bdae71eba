// Fastify wiring of I-A1: an `onSend` hook (it runs before Fastify writes the status line, headers or body —
// lib/reply.js: onSendHookRunner → onSendEnd → writeHead) appends every response's record and, for a
// response carrying secret material whose record could not be written, swaps the payload for a 503.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DsvError } from '../errors/index.ts';
import { isAuditTarget, outcomeOf } from './audit-record.ts';
import type { AuditPathHasher } from './audit-path-hasher.ts';
import type { AuditSink } from './audit-sink.ts';
import { appendAuditRecord, DEFAULT_AUDIT_TIMEOUT_MS } from './audited-response.ts';
import { auditSubjectOf, type AuditCaller, type AuditClassification } from './audit-subject.ts';

export interface RegisterAuditOptions {
  readonly sink: AuditSink;
  readonly hasher: AuditPathHasher;
  /** Who called; default: what the handler noted with `noteAuditSubject`. undefined = unauthenticated. */
  readonly identify?: (request: FastifyRequest) => AuditCaller | undefined;
  /** What the request did; default: the note, failing closed (see `defaultClassify`). */
  readonly classify?: (request: FastifyRequest, reply: FastifyReply) => AuditClassification;
  /**
   * The 503 body when a secret-carrying response is refused; default v1 style `{"message": …}`. Gets the
   * request so one instance serving v1 and v2 can answer each in its own format (v2: problem+json).
   */
  readonly renderUnavailable?: (
    error: DsvError,
    request: FastifyRequest,
  ) => { readonly contentType: string; readonly body: string };
  /** A non-secret response whose record failed still goes out; this hears about it (default: logs). */
  readonly onAuditFailure?: (error: DsvError, request: FastifyRequest, requestId: string) => void;
  readonly appendTimeoutMs?: number;
}

/** Mirrors the gateway's `x-dsv-error-code` (src/gateway/http-errors.ts), which this context cannot import. */
const ERROR_CODE_HEADER = 'x-dsv-error-code';
export const REQUEST_ID_HEADER = 'x-request-id';
/** Headers a refused response must not keep: they described the secret-carrying body. */
const BODY_HEADERS = ['content-length', 'content-disposition', 'etag', 'last-modified', 'content-encoding'];

const requestIds = new WeakMap<FastifyRequest, string>();

/** The audit request id of a request (a random UUID, unique across nodes and restarts; also a header). */
export function auditRequestId(request: FastifyRequest): string {
  let id = requestIds.get(request);
  if (id === undefined) {
    id = randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/** Fails closed: a 2xx/3xx response nobody classified is treated as carrying secret material. */
export function defaultClassify(request: FastifyRequest): AuditClassification {
  const note = auditSubjectOf(request);
  return {
    operation: note?.operation ?? 'unclassified',
    carriesSecret: note?.carriesSecret ?? true,
    ...(note?.target === undefined ? {} : { target: note.target }),
    ...(note?.namespace === undefined ? {} : { namespace: note.namespace }),
    ...(note?.name === undefined ? {} : { name: note.name }),
    ...(note?.paths === undefined ? {} : { paths: note.paths }),
  };
}

function defaultIdentify(request: FastifyRequest): AuditCaller | undefined {
  const note = auditSubjectOf(request);
  return note?.tenant === undefined ? undefined : { tenant: note.tenant, accessor: note.accessor ?? null };
}

const v1Unavailable = (error: DsvError) => ({
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({ message: error.message }),
});

/**
 * Adds the hooks to `app` itself (not an encapsulated child), so they cover every route, the not-found
 * handler and error responses of `app` and its children. Call it before registering routes, and after any
 * other `onSend` hook that may change the payload, so the record describes what is really sent.
 */
export function registerAudit(app: FastifyInstance, options: RegisterAuditOptions): void {
  const identify = options.identify ?? defaultIdentify;
  const classify = options.classify ?? defaultClassify;
  const render = options.renderUnavailable ?? v1Unavailable;
  const timeoutMs = options.appendTimeoutMs ?? DEFAULT_AUDIT_TIMEOUT_MS;
  const onFailure =
    options.onAuditFailure ??
    ((error: DsvError, request: FastifyRequest, requestId: string) =>
      request.log.error({ requestId, code: error.code }, 'audit record not written'));

  app.addHook('onRequest', async (request) => {
    auditRequestId(request);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const requestId = auditRequestId(request);
    void reply.header(REQUEST_ID_HEADER, requestId);
    const status = reply.statusCode;
    const caller = safely(() => identify(request), undefined);
    // A classifier that throws fails closed, like a missing one.
    const what = safely(() => classify(request, reply), { operation: 'unclassified', carriesSecret: true });
    // Error bodies never carry secret material (I-G2), so only a success can be withheld.
    const carriesSecret = what.carriesSecret && status < 400;
    const record = {
      requestId,
      tenant: caller?.tenant ?? null,
      accessor: caller?.accessor ?? null,
      operation: what.operation,
      // Never fails the record: a malformed target (a bug) is recorded as null.
      target: isAuditTarget(what.target) ? what.target : null,
      outcome: outcomeOf(status),
      status,
    };
    // One record for the request, and one more per secret path it touched (a .env file reads and writes
    // many): `dsv audit touched` finds each of them by its HMAC. All are durable before the response.
    const results = await Promise.all([
      appendAuditRecord(
        options.sink,
        { ...record, pathHmac: pathHmacOf(options.hasher, caller, what) },
        timeoutMs,
      ),
      ...(what.paths ?? []).map((path) =>
        appendAuditRecord(
          options.sink,
          { ...record, pathHmac: pathHmacOf(options.hasher, caller, { ...what, ...path }) },
          timeoutMs,
        ),
      ),
    ]);
    const appended = results.find((result) => !result.written) ?? results[0];
    if (appended === undefined || appended.written) return payload;
    onFailure(appended.error, request, requestId);
    if (!carriesSecret) return payload;
    // I-A1: the secret-carrying payload is dropped here, before Fastify has written a byte of it.
    destroyIfStream(payload);
    for (const header of BODY_HEADERS) void reply.removeHeader(header);
    const { contentType, body } = render(appended.error, request);
    void reply
      .code(503)
      .header(ERROR_CODE_HEADER, appended.error.code)
      .header('cache-control', 'no-store')
      .type(contentType);
    return body;
  });
}

function pathHmacOf(
  hasher: AuditPathHasher,
  caller: AuditCaller | undefined,
  what: AuditClassification,
): string | null {
  if (caller === undefined || what.namespace === undefined || what.name === undefined) return null;
  return safely(() => hasher.pathHmac(caller.tenant, what.namespace ?? '', what.name ?? ''), null);
}

function safely<T>(run: () => T, fallback: T): T {
  try {
    return run();
  } catch {
    return fallback;
  }
}

function destroyIfStream(payload: unknown): void {
  const stream = payload as { destroy?: unknown } | null;
  if (typeof stream?.destroy === 'function') (stream.destroy as () => void)();
}
