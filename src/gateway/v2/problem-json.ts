// v2 errors as RFC 9457 problem+json, carrying the stable DSV code; messages are safe by construction (I-G2).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ERROR_CODES, type DsvError } from '../../errors/index.ts';
import { ERROR_CODE_HEADER, fromFrameworkError } from '../http-errors.ts';

type DsvErrorDetails = DsvError['details'];

export function problemJsonHandler(logger: Logger) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const dsv = fromFrameworkError(error);
    if (dsv.status >= 500 && dsv.status !== 503 && dsv.status !== 507) {
      logger.error({ err: error, url: request.routeOptions.url, method: request.method }, 'request failed');
    }
    if (dsv.code === 'DSV_QUOTA_RATE' || dsv.status === 503 || dsv.status === 507) {
      const retryAfter = dsv.details?.retryAfterSeconds;
      reply.header('retry-after', String(typeof retryAfter === 'number' ? retryAfter : 1));
    }
    return reply
      .status(dsv.status)
      .header(ERROR_CODE_HEADER, dsv.code)
      .type(PROBLEM_JSON)
      .send(problemBody(dsv, request.id, validationDetail(error)));
  };
}

export const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

/**
 * The one problem+json body of the v2 API, for the error handler and for a response the audit hook had to
 * withhold (503 DSV_AUDIT_UNAVAILABLE), so the two can never drift apart again (issue #13).
 */
export function problemBody(dsv: DsvError, instance: string, detail?: string): Record<string, unknown> {
  return {
    type: `https://dsv.dev/errors/${dsv.code}`,
    title: ERROR_CODES[dsv.code].message,
    status: dsv.status,
    code: dsv.code,
    detail: detail ?? withCounts(dsv.message, dsv.details),
    instance,
    ...(dsv.details ? { details: dsv.details } : {}),
  };
}

/**
 * Fastify's schema-validation message names the part, the field and the rule ("body must have required
 * property 'value'"), never the data (Ajv messages hold schema text only), so it is safe to show (I-G2).
 */
function validationDetail(error: unknown): string | undefined {
  const candidate = error as { validation?: unknown; message?: unknown } | null;
  return candidate?.validation !== undefined && typeof candidate.message === 'string'
    ? candidate.message
    : undefined;
}

/**
 * A quorum error (too few nodes stored, confirmed, vouched or sent shards) says how many answered and how many
 * were needed (issue 11); the counts also stay in `details` for programs. Counts only: no name, no value.
 */
export function withCounts(message: string, details: DsvErrorDetails | undefined): string {
  const answered = details?.answered;
  const needed = details?.needed;
  if (typeof answered !== 'number' || typeof needed !== 'number') return message;
  return `${message}: ${answered} ${answered === 1 ? 'node' : 'nodes'} answered, ${needed} needed`;
}
