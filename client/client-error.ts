// The one error the client library throws: the stable problem+json `code`, the HTTP `status`, a safe message.
// Messages come from the server's problem details (I-G2: never secret material) or from this library's own
// fixed texts; no value, share or token is ever put into one.
import { DsvError, isDsvError, isErrorCode, type ErrorCode } from '../src/errors/index.ts';

export class DsvClientError extends DsvError {
  readonly #status: number;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { status?: number; cause?: unknown; details?: Record<string, string | number> } = {},
  ) {
    super(code, message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.details === undefined ? {} : { details: options.details }),
    });
    this.#status = options.status ?? super.status;
  }

  /** The HTTP status the node answered (or the registry's status for an error of this library). */
  override get status(): number {
    return this.#status;
  }
}

/** Anything thrown (a DsvError of the sharing code, a bug) as a DsvClientError; no cause text is copied. */
export function toClientError(error: unknown): DsvClientError {
  if (error instanceof DsvClientError) return error;
  if (isDsvError(error)) {
    return new DsvClientError(error.code, error.message, {
      cause: error,
      ...(error.details === undefined ? {} : { details: { ...error.details } }),
    });
  }
  return new DsvClientError('DSV_INTERNAL', undefined, { cause: error });
}

/**
 * A problem+json answer (RFC 9457 with DSV's `code`) as an error. An unknown code (a newer server) keeps the
 * answer's status and is named in `details.serverCode`.
 */
export function problemError(status: number, body: unknown): DsvClientError {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const raw = typeof problem.code === 'string' ? problem.code : undefined;
  const code: ErrorCode = raw !== undefined && isErrorCode(raw) ? raw : 'DSV_INTERNAL';
  const detail = typeof problem.detail === 'string' ? problem.detail : problem.message;
  const details: Record<string, string | number> = {};
  if (typeof problem.details === 'object' && problem.details !== null) {
    for (const [key, value] of Object.entries(problem.details)) {
      if (typeof value === 'string' || typeof value === 'number') details[key] = value;
    }
  }
  if (raw !== undefined && raw !== code) details.serverCode = raw;
  return new DsvClientError(code, typeof detail === 'string' ? detail : `HTTP ${status}`, {
    status,
    ...(Object.keys(details).length > 0 ? { details } : {}),
  });
}
