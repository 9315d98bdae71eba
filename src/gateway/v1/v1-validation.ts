// Input validation for the v1 API, with the exact messages of the original (API-V1.md).
import { DsvError } from '../../errors/index.ts';
import { requireWellFormed } from '../well-formed.ts';

export interface V1Limits {
  readonly maxNameLength: number;
  readonly maxValueBytes: number;
  /** Request budgets (node config `limits`); unbounded when absent. */
  readonly maxEnvSecrets?: number;
  readonly maxEnvValueBytes?: number;
  readonly maxAllVersions?: number;
}

const isBlank = (value: unknown): boolean => typeof value !== 'string' || value.trim().length === 0;

export function requireUser(user: unknown, limits: V1Limits): string {
  if (isBlank(user)) throw new DsvError('DSV_INPUT_INVALID', 'User is required');
  // NFC as on v2 and in policies: `café` typed either way names one secret and one policy match.
  const text = requireWellFormed(user as string, 'User').normalize('NFC');
  if (text.length > limits.maxNameLength) {
    throw new DsvError('DSV_INPUT_INVALID', `User is too long (max ${limits.maxNameLength} characters)`);
  }
  return text;
}

export function requireName(name: unknown, limits: V1Limits): string {
  if (isBlank(name)) throw new DsvError('DSV_INPUT_INVALID', 'Secret key is required');
  const text = requireWellFormed(name as string, 'Secret key').normalize('NFC');
  if (text.length > limits.maxNameLength) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `Secret key is too long (max ${limits.maxNameLength} characters)`,
    );
  }
  return text;
}

/** The empty string is a valid value; JSON numbers and booleans are taken as their text (as Jackson did). */
export function requireValue(value: unknown, limits: V1Limits): Uint8Array {
  if (value === undefined || value === null)
    throw new DsvError('DSV_INPUT_INVALID', 'Secret value is required');
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new DsvError('DSV_INPUT_INVALID', 'Secret value must be a string');
  }
  const bytes = Buffer.from(requireWellFormed(String(value), 'Secret value'), 'utf8');
  if (bytes.length > limits.maxValueBytes) {
    throw new DsvError('DSV_VALUE_TOO_LARGE', `Secret value too large (max ${limits.maxValueBytes} bytes)`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** `?version=`: absent → latest; non-numeric → 400; 0, negative or unknown → 404 (API-V1.md). */
export function parseVersion(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new DsvError('DSV_INPUT_INVALID', 'Version must be a number');
  const text = raw.trim();
  if (!/^[+-]?\d+$/.test(text)) throw new DsvError('DSV_INPUT_INVALID', 'Version must be a number');
  const version = Number(text);
  if (!Number.isSafeInteger(version) || version <= 0)
    throw new DsvError('DSV_SECRET_NOT_FOUND', 'Secret not found');
  return version;
}

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DsvError('DSV_INPUT_MALFORMED_JSON', 'Malformed JSON request body');
  }
  return body as Record<string, unknown>;
}
