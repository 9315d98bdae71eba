// The dotenv layer of a .env line, one grammar for the server's parser and the CLI (`dsv env`, `dsv run`):
// an optional `export ` before the key, then a value that is unquoted (a `#` after a blank starts a
// comment), single-quoted (literal) or double-quoted (escapes `\n` `\r` `\t` `\"` `\\`), followed only by
// blanks and an optional comment. A line whose value so read starts with `enc(` or `secret(` is a DSV line.
import { invalidEntry } from './env-errors.ts';
import { isBlankEnv, trimEnv, trimEnvStart } from './env-text.ts';

export type DsvForm = 'enc' | 'secret';

export interface DsvLine {
  /** The key without its `export ` prefix: the variable name (and, for `enc(…)`, the secret name). */
  readonly key: string;
  readonly exported: boolean;
  readonly form: DsvForm;
  /** The `enc(…)`/`secret(…)` expression: for a quoted value, its decoded text between the quotes. */
  readonly expression: string;
  /** Unquoted: a `#` after a blank past the expression's end starts a comment (parse-expression-line.ts). */
  readonly quoted: boolean;
}

const EXPORT = /^export[ \t]+/;
const AFTER_QUOTE = /^[ \t]*(?:#[^]*)?$/;
const LOOKS_LIKE = /^(?:enc|secret)[ \t]*\(/i;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

const formOf = (text: string): DsvForm | undefined =>
  text.startsWith('enc(') ? 'enc' : text.startsWith('secret(') ? 'secret' : undefined;

/** The key of a line and whether it carries `export ` (a key that is only `export` has none). */
export function splitExport(key: string): { key: string; exported: boolean } {
  const prefix = EXPORT.exec(key);
  if (prefix === null || prefix[0].length === key.length) return { key, exported: false };
  return { key: trimEnv(key.slice(prefix[0].length)), exported: true };
}

/**
 * `trimmed` is a non-blank, non-comment line. Returns the DSV line it holds, or undefined when its value is
 * not `enc(…)`/`secret(…)` (an original action, a plain dotenv line). Throws DSV_ENV_INVALID naming the
 * line for a quoted `enc(`/`secret(` value that is not closed or is followed by more than a comment: such a
 * line must never be taken as a plain value and left in the file as plaintext.
 */
export function readDsvLine(trimmed: string, line: number): DsvLine | undefined {
  const equals = trimmed.indexOf('=');
  if (equals < 0) return undefined;
  const text = trimEnvStart(trimmed.slice(equals + 1));
  let expression: string;
  let quoted = false;
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const read = readQuoted(text, quote);
    const inner = trimEnv(read?.inner ?? text.slice(1));
    if (formOf(inner) === undefined) return undefined;
    if (read === undefined) throw invalidEntry(line, 'unterminated-quote');
    if (!AFTER_QUOTE.test(read.rest)) throw invalidEntry(line, 'text-after-quote');
    expression = inner;
    quoted = true;
  } else {
    if (formOf(text) === undefined) return undefined;
    expression = text;
  }
  const { key, exported } = splitExport(trimEnv(trimmed.slice(0, equals)));
  if (isBlankEnv(key)) throw invalidEntry(line, 'missing-key');
  return { key, exported, form: formOf(expression) ?? 'enc', expression, quoted };
}

/**
 * True when the line's value (unquoted, or after an opening quote) starts like `enc(` or `secret(` in any
 * letter case or with blanks before the parenthesis: the CLI refuses such a line unless it is a DSV line,
 * rather than keep it as a plain (plaintext) value.
 */
export function looksLikeDsvValue(trimmed: string): boolean {
  const equals = trimmed.indexOf('=');
  if (equals < 0) return false;
  let text = trimEnvStart(trimmed.slice(equals + 1));
  if (text.startsWith('"') || text.startsWith("'")) text = trimEnvStart(text.slice(1));
  return LOOKS_LIKE.test(text);
}

/** The text between the opening quote and its closing one (double quotes: escapes decoded), and the rest. */
function readQuoted(text: string, quote: string): { inner: string; rest: string } | undefined {
  const parts: string[] = [];
  let start = 1;
  for (let i = 1; i < text.length; i += 1) {
    const ch = text[i];
    if (quote === '"' && ch === '\\' && i + 1 < text.length) {
      const escaped = ESCAPES[text[i + 1] ?? ''];
      if (escaped !== undefined) {
        parts.push(text.slice(start, i), escaped);
        i += 1;
        start = i + 1;
      }
    } else if (ch === quote) {
      parts.push(text.slice(start, i));
      return { inner: parts.join(''), rest: text.slice(i + 1) };
    }
  }
  return undefined;
}
