// The original DSV line grammar: KEY=new:value · KEY=update:value · KEY=get · KEY=get:N · KEY=delete.
import { invalidAction, invalidEntry } from './env-errors.ts';
import type { EnvOperation } from './env-operation.ts';
import { isBlankEnv, trimEnv } from './env-text.ts';

const SIGNED_DIGITS = /^[+-]?[0-9]+$/;

/**
 * Parses the part after the key's `=`. The action is the text before the first `:`, trimmed and
 * case-insensitive; the value is everything after that `:`, verbatim (it may hold `:` and `=`).
 */
export function parseActionLine(key: string, actionAndValue: string, line: number): EnvOperation {
  const colon = actionAndValue.indexOf(':');
  if (colon < 0 && isBlankEnv(actionAndValue)) throw invalidEntry(line, 'missing-value');
  const action = trimEnv(colon < 0 ? actionAndValue : actionAndValue.slice(0, colon)).toLowerCase();
  const value = colon < 0 ? undefined : actionAndValue.slice(colon + 1);
  switch (action) {
    case 'new':
      if (value === undefined) throw invalidEntry(line, 'missing-value');
      return { kind: 'create', line, key, value, output: 'value' };
    case 'update':
      if (value === undefined) throw invalidEntry(line, 'missing-value');
      return { kind: 'update', line, key, value };
    case 'get':
      return value === undefined
        ? { kind: 'get', line, key, name: key, output: 'raw' }
        : { kind: 'get', line, key, name: key, version: parseGetVersion(value, line), output: 'raw' };
    case 'delete':
      // The original tolerates `KEY=delete:anything` for backward compatibility; the value is ignored.
      return { kind: 'delete', line, key };
    default:
      throw invalidAction(line);
  }
}

/**
 * `get:N` as the original reads it (`Long.parseLong` of the trimmed text, then N ≥ 1). N above 2^53 − 1
 * cannot name a version exactly in JavaScript, and no key gets that many versions, so it is an entry error.
 */
function parseGetVersion(text: string, line: number): number {
  const digits = trimEnv(text);
  if (!SIGNED_DIGITS.test(digits)) throw invalidEntry(line, 'invalid-version');
  return checkVersion(Number(digits), line);
}

export function checkVersion(version: number, line: number): number {
  if (!Number.isSafeInteger(version) || version < 1) throw invalidEntry(line, 'invalid-version');
  return version;
}
