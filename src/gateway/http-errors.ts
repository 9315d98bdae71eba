// The one place errors become HTTP: DsvError → status + safe body (I-G2); anything unknown is a 500 and a bug.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DsvError, toDsvError } from '../errors/index.ts';

export const ERROR_CODE_HEADER = 'x-dsv-error-code';

/** Fastify's own errors (parsing, routing, validation) mapped to DSV codes with v1-compatible messages. */
export function fromFrameworkError(error: unknown): DsvError {
  if (error instanceof DsvError) return error;
  const code = (error as FastifyError | undefined)?.code;
  const statusCode = (error as FastifyError | undefined)?.statusCode;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DsvError('DSV_INPUT_MALFORMED_JSON', 'Malformed JSON request body', { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new DsvError('DSV_MEDIA_TYPE_UNSUPPORTED', 'Content type not supported', { cause: error });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DsvError('DSV_VALUE_TOO_LARGE', 'Request body too large', { cause: error });
    default:
      if ((error as { validation?: unknown }).validation !== undefined) {
        return new DsvError('DSV_INPUT_INVALID', 'Invalid request', { cause: error });
      }
      if (statusCode === 413)
        return new DsvError('DSV_VALUE_TOO_LARGE', 'Request body too large', { cause: error });
      if (statusCode === 415)
        return new DsvError('DSV_MEDIA_TYPE_UNSUPPORTED', 'Content type not supported', { cause: error });
      if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
        return new DsvError('DSV_INPUT_INVALID', 'Invalid request', { cause: error });
      }
      return toDsvError(error);
  }
}

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
