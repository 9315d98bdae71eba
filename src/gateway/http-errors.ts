// The one place errors become HTTP: DsvError → status + safe body (I-G2); anything unknown is a 500 and a bug.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { fromFrameworkError } from '../platform/fastify-errors.ts';

export { fromFrameworkError };

export const ERROR_CODE_HEADER = 'x-dsv-error-code';

/** Error handler for the v1 API: every error is `{"message": …}` (API-V1.md), the code in a header. */
export function v1ErrorHandler(logger: Logger) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const dsv = fromFrameworkError(error);
    if (dsv.status >= 500 && dsv.status !== 503 && dsv.status !== 507) {
      // A bug: log the cause (never the request body, which may hold a value), answer without details.
      logger.error({ err: error, url: request.routeOptions.url, method: request.method }, 'request failed');
    }
    const retryAfter = dsv.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply
      .status(dsv.status)
      .header(ERROR_CODE_HEADER, dsv.code)
      .type('application/json; charset=utf-8')
      .send({ message: dsv.message });
  };
}
