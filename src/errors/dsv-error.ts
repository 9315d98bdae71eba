// The one error class of DSV: a stable code from the registry, a safe message, and an optional cause.
import { ERROR_CODES, type ErrorCode } from './codes.ts';

export class DsvError extends Error {
  override readonly name = 'DsvError';
  readonly code: ErrorCode;
  /** Extra safe fields for clients (e.g. which .env line); never secret material (I-G2). */
  readonly details: Readonly<Record<string, string | number>> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, string | number> },
  ) {
    super(message ?? ERROR_CODES[code].message, options?.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retriable(): boolean {
    return ERROR_CODES[this.code].retriable;
  }
}

export function isDsvError(error: unknown): error is DsvError {
  return error instanceof DsvError;
}

/** Maps anything thrown to a DsvError; an unknown error is a bug (DSV_INTERNAL, 500). */
export function toDsvError(error: unknown): DsvError {
  if (error instanceof DsvError) return error;
  return new DsvError('DSV_INTERNAL', undefined, { cause: error });
}
