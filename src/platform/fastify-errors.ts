// Fastify's own errors (parsing, routing, validation) as DSV errors with stable codes: one mapping for every
// DSV server (the public API and the peer API), so a refused body is a 4xx with a code, never a 500.
import type { FastifyError } from 'fastify';
import { DsvError, toDsvError } from '../errors/index.ts';

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
