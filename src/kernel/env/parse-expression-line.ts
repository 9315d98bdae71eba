// DSV's own line forms: NAME=enc(value) stores, X=secret(NAME) and X=secret(NAME, version=N) resolve (§10).
import { invalidEntry } from './env-errors.ts';
import type { EnvOperation } from './env-operation.ts';
import { checkVersion } from './parse-action-line.ts';
import { trimEnvStart } from './env-text.ts';

const ENC = 'enc(';
const SECRET = 'secret(';
const CLOSE_ONLY = /^[ \t]*\)$/;
const PIN_THEN_CLOSE = /^[ \t]*(?:,[ \t]*version[ \t]*=[ \t]*([0-9]+)[ \t]*)?\)$/;
// Unquoted at the dotenv level, a `#` after a blank past the closing parenthesis starts a comment.
const CLOSE_ONLY_COMMENT = /^[ \t]*\)(?:[ \t]+#[^]*)?$/;
const PIN_THEN_CLOSE_COMMENT = /^[ \t]*(?:,[ \t]*version[ \t]*=[ \t]*([0-9]+)[ \t]*)?\)(?:[ \t]+#[^]*)?$/;
const COMMENT_START = /[ \t]#/;
const PIN_SUFFIX = /^[ \t]*version[ \t]*=[ \t]*([0-9]+)[ \t]*$/;

/**
 * Parses the part after the key's `=` when it starts with `enc(` or `secret(`; returns undefined otherwise
 * (such text could never be a valid action of the original grammar, so the two cannot clash).
 * The argument is either a JSON string literal (`"…"`, for values or names with line breaks, parentheses or
 * a leading quote) or the verbatim text up to the line's final `)`.
 */
export function parseExpressionLine(
  key: string,
  rest: string,
  line: number,
  options: { readonly comments?: boolean; readonly exported?: boolean } = {},
): EnvOperation | undefined {
  const text = trimEnvStart(rest);
  const comments = options.comments === true;
  const exported = options.exported === true ? ({ exported: true } as const) : {};
  if (text.startsWith(ENC)) {
    const value = parseArgument(text.slice(ENC.length), line, false, comments).text;
    return { kind: 'create', line, key, value, output: 'reference', ...exported };
  }
  if (text.startsWith(SECRET)) {
    const { text: name, version } = parseArgument(text.slice(SECRET.length), line, true, comments);
    if (name === '') throw invalidEntry(line, 'empty-name');
    return version === undefined
      ? { kind: 'get', line, key, name, output: 'dotenv', ...exported }
      : { kind: 'get', line, key, name, version, output: 'dotenv', ...exported };
  }
  return undefined;
}

interface Argument {
  readonly text: string;
  readonly version: number | undefined;
}

/**
 * `body` is everything after the opening parenthesis, up to the end of the (trimmed) line. With `comments`
 * (an unquoted dotenv value), a `#` after a blank ends the value: past a quoted argument's closing
 * parenthesis, or anywhere in a verbatim one (such a value is written quoted).
 */
function parseArgument(body: string, line: number, pinnable: boolean, comments: boolean): Argument {
  if (body.startsWith('"')) {
    const { text, next } = readJsonString(body, line);
    const close = comments
      ? pinnable
        ? PIN_THEN_CLOSE_COMMENT
        : CLOSE_ONLY_COMMENT
      : pinnable
        ? PIN_THEN_CLOSE
        : CLOSE_ONLY;
    const tail = close.exec(body.slice(next));
    if (tail === null) throw invalidEntry(line, 'malformed-expression');
    return { text, version: pinVersion(tail[1], line) };
  }
  if (comments) {
    const comment = COMMENT_START.exec(body);
    if (comment !== null) body = stripTrailingBlanks(body.slice(0, comment.index));
  }
  if (!body.endsWith(')')) throw invalidEntry(line, 'malformed-expression');
  const inner = body.slice(0, -1);
  if (!pinnable) return { text: inner, version: undefined };
  const pin = findPinSuffix(inner);
  if (pin === undefined) return { text: inner, version: undefined };
  return { text: stripTrailingBlanks(inner.slice(0, pin.comma)), version: pinVersion(pin.digits, line) };
}

/**
 * Names may contain commas: only a trailing `, version=<digits>` after the last comma is a pin. Found with
 * lastIndexOf and an anchored pattern, so long names cost linear time.
 */
export function findPinSuffix(inner: string): { comma: number; digits: string } | undefined {
  const comma = inner.lastIndexOf(',');
  const digits = comma < 0 ? undefined : PIN_SUFFIX.exec(inner.slice(comma + 1))?.[1];
  return digits === undefined ? undefined : { comma, digits };
}

function pinVersion(digits: string | undefined, line: number): number | undefined {
  return digits === undefined ? undefined : checkVersion(Number(digits), line);
}

function stripTrailingBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end -= 1;
  return text.slice(0, end);
}

/**
 * Reads the JSON string literal at the start of `body`. The parse error is dropped, never attached as a
 * cause: its text can quote the value (I-G2). Lone surrogates are refused so nothing is stored lossily.
 */
function readJsonString(body: string, line: number): { text: string; next: number } {
  for (let i = 1; i < body.length; i += 1) {
    const ch = body[i];
    if (ch === '\\') {
      i += 1;
    } else if (ch === '"') {
      let decoded: unknown;
      try {
        decoded = JSON.parse(body.slice(0, i + 1));
      } catch {
        throw invalidEntry(line, 'invalid-quoted-string');
      }
      if (typeof decoded !== 'string' || !decoded.isWellFormed()) {
        throw invalidEntry(line, 'invalid-quoted-string');
      }
      return { text: decoded, next: i + 1 };
    }
  }
  throw invalidEntry(line, 'invalid-quoted-string');
}
