// Parses a whole .env transform file into operations, or one DSV_ENV_INVALID error naming the line (§10).
import { DsvError } from '../../errors/index.ts';
import {
  contentRequired,
  duplicateKey,
  invalidEntry,
  noOperations,
  tooManyOperations,
} from './env-errors.ts';
import { MAX_ENV_OPERATIONS, type EnvOperation, type ParseEnvOptions } from './env-operation.ts';
import { isBlankEnv, splitEnvLines, trimEnv } from './env-text.ts';
import { parseActionLine } from './parse-action-line.ts';
import { parseExpressionLine } from './parse-expression-line.ts';
import { readDsvLine } from './dotenv-line.ts';

const BOM = '\uFEFF';

/**
 * Strict and pure: the first bad line (in file order) fails the whole file, so nothing is ever applied from
 * a file that does not parse. `content` may be undefined or null (missing field); both are "required".
 */
export function parseEnvFile(
  content: string | null | undefined,
  options: ParseEnvOptions = {},
): EnvOperation[] {
  if (typeof content !== 'string') throw contentRequired();
  // A byte-order mark would otherwise become part of the first key (the original's behaviour).
  const text = content.startsWith(BOM) ? content.slice(BOM.length) : content;
  if (isBlankEnv(text)) throw contentRequired();

  const maxOperations = options.maxOperations ?? MAX_ENV_OPERATIONS;
  if (!Number.isSafeInteger(maxOperations) || maxOperations < 1) {
    // A misconfigured cap must not silently become "no cap" (NaN comparisons are always false).
    throw new DsvError('DSV_INTERNAL', 'maxOperations must be a positive integer');
  }
  const operations: EnvOperation[] = [];
  const seenKeys = new Set<string>();
  for (const [index, rawLine] of splitEnvLines(text).entries()) {
    const trimmed = trimEnv(rawLine);
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const line = index + 1;
    const operation = parseEnvLine(trimmed, line);
    // One operation per key keeps the batch's meaning independent of execution order.
    if (seenKeys.has(operation.key)) throw duplicateKey(operation.key, line);
    seenKeys.add(operation.key);
    if (operations.length >= maxOperations) throw tooManyOperations(maxOperations, line);
    operations.push(operation);
  }
  if (operations.length === 0) throw noOperations();
  return operations;
}

/**
 * `trimmed` is a non-blank, non-comment line. A DSV line (`enc(…)`/`secret(…)`, unquoted or quoted, with an
 * optional `export ` and comment: dotenv-line.ts) is read with the dotenv grammar the CLI uses; any other
 * line with the original grammar, whose key is the trimmed text before its first `=`, verbatim.
 */
function parseEnvLine(trimmed: string, line: number): EnvOperation {
  const equals = trimmed.indexOf('=');
  if (equals <= 0) throw invalidEntry(line, 'missing-key');
  const dsv = readDsvLine(trimmed, line);
  if (dsv !== undefined) {
    const operation = parseExpressionLine(dsv.key, dsv.expression, line, {
      comments: !dsv.quoted,
      exported: dsv.exported,
    });
    if (operation === undefined) throw invalidEntry(line, 'malformed-expression');
    return operation;
  }
  const key = trimEnv(trimmed.slice(0, equals));
  if (isBlankEnv(key)) throw invalidEntry(line, 'missing-key');
  return parseActionLine(key, trimmed.slice(equals + 1), line);
}
