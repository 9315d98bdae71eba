// Which secret a v2 request names: namespace and name canonicalised to Unicode NFC (policies match in NFC
// too, src/control/policy.ts), non-blank and within the node's length limit (DESIGN §4).
import { DsvError } from '../../errors/index.ts';
import { requireWellFormed } from '../well-formed.ts';

export interface V2Limits {
  readonly maxNameLength: number;
  readonly maxValueBytes: number;
}

export interface SecretTarget {
  readonly namespace: string;
  readonly name: string;
}

/** NFC, then the same rules as v1: not blank, at most `maxNameLength` UTF-16 code units. */
export function canonicalPart(raw: unknown, what: 'namespace' | 'name', limits: V2Limits): string {
  if (typeof raw !== 'string' || raw.trim().length === 0) {
    throw new DsvError('DSV_INPUT_INVALID', `The ${what} is required`);
  }
  const text = requireWellFormed(raw, `The ${what}`).normalize('NFC');
  if (text.length > limits.maxNameLength) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `The ${what} is too long (max ${limits.maxNameLength} characters)`,
    );
  }
  return text;
}

export function secretTarget(
  params: { namespace?: unknown; name?: unknown },
  limits: V2Limits,
): SecretTarget {
  return {
    namespace: canonicalPart(params.namespace, 'namespace', limits),
    name: canonicalPart(params.name, 'name', limits),
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The value's bytes: UTF-8 of the text, or the decoded base64 (strict: standard alphabet, padded, no
 * blanks, so one text means one byte string); refused when over the node's limit (413).
 */
export function valueBytes(value: string, limits: V2Limits, encoding = 'utf8'): Uint8Array {
  let bytes: Buffer;
  if (encoding === 'base64') {
    if (!BASE64.test(value)) throw new DsvError('DSV_INPUT_INVALID', 'The value is not valid base64');
    bytes = Buffer.from(value, 'base64');
  } else {
    bytes = Buffer.from(requireWellFormed(value, 'The value'), 'utf8');
  }
  if (bytes.length > limits.maxValueBytes) {
    throw new DsvError('DSV_VALUE_TOO_LARGE', `Secret value too large (max ${limits.maxValueBytes} bytes)`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A stored value as v2 answers it: the UTF-8 text when the bytes are UTF-8, else base64 and its marker. */
export function valueField(bytes: Uint8Array): { value: string; encoding?: 'base64' } {
  try {
    return { value: strictUtf8.decode(bytes) };
  } catch {
    return { value: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
  }
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();
export const isoTimeOrNull = (ms: number | null): string | null => (ms === null ? null : isoTime(ms));

/** The ETag of a version: its number as a strong entity tag. */
export const etagOf = (version: number): string => `"${version}"`;

/** Percent-encodes one path segment (for `Location`). */
export const secretPath = (target: SecretTarget): string =>
  `/v2/secrets/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.name)}`;
