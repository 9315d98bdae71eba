// Writes names and values back as .env text that DSV (and dotenv readers) read back unchanged (§10).
import { containsLineBreak } from './env-text.ts';
import { findPinSuffix } from './parse-expression-line.ts';

const UNSAFE_UNQUOTED_START = /^["'`]/;
const EDGE_SPACE = /^\s|\s$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A JSON string literal that stays on one line: JSON.stringify leaves NEL, LS and PS raw, but DSV splits
 * lines on them (as Java's `\R` does), so they are escaped too.
 */
export function quoteEnvString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u0085\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * `secret(NAME)` or `secret(NAME, version=N)`, quoting NAME only when the unquoted form would not parse back
 * to it: a leading `"`, a line break, a tail that reads as a pin, a `#` after a blank (a comment), or (when
 * pinned) trailing blanks, which
 * the pin's separator absorbs. NAME must be non-empty (`secret()` does not parse).
 */
export function formatSecretReference(name: string, version?: number): string {
  const quote =
    name.startsWith('"') ||
    containsLineBreak(name) ||
    findPinSuffix(name) !== undefined ||
    /[ \t]#/.test(name) || // unquoted, a `#` after a blank starts a dotenv comment
    (version !== undefined && /[ \t]$/.test(name));
  const argument = quote ? quoteEnvString(name) : name;
  return version === undefined ? `secret(${argument})` : `secret(${argument}, version=${version})`;
}

/**
 * A resolved value for a `secret(...)` line, in dotenv style: bare when every common dotenv reader keeps it
 * verbatim, else a double-quoted JSON-escaped string (a PEM key becomes one line with `\n` escapes rather
 * than raw lines that would inject entries into the output file).
 */
export function formatDotenvValue(value: string): string {
  const bare =
    !containsLineBreak(value) &&
    !CONTROL.test(value) &&
    !value.includes('#') &&
    !UNSAFE_UNQUOTED_START.test(value) &&
    !EDGE_SPACE.test(value);
  return bare ? value : quoteEnvString(value);
}
