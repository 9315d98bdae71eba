// Errors: the registry of stable codes and the one error class every context throws.
export { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorCategory, type ErrorSpec } from './codes.ts';
export { DsvError, isDsvError, toDsvError } from './dsv-error.ts';
