// The .env parser's errors: the original's exact messages, code DSV_ENV_INVALID; never any value text (I-G2).
import { DsvError } from '../../errors/index.ts';

/** Why a line is not a valid entry: a safe, value-free hint carried in `details.reason` for v2 clients. */
export type EnvEntryFault =
  | 'missing-key'
  | 'missing-value'
  | 'invalid-version'
  | 'malformed-expression'
  | 'invalid-quoted-string'
  | 'empty-name'
  | 'unterminated-quote'
  | 'text-after-quote';

const ENTRY_EXPECTATION = 'expected KEY=new:value, KEY=update:value, KEY=get, KEY=get:version, or KEY=delete';

export function contentRequired(): DsvError {
  return new DsvError('DSV_ENV_INVALID', '.env file content is required');
}

export function noOperations(): DsvError {
  return new DsvError('DSV_ENV_INVALID', '.env file must include at least one operation');
}

/** The message names the key, as the original does; keys are names, not secret material (I-G2). */
export function duplicateKey(key: string, line: number): DsvError {
  return new DsvError('DSV_ENV_INVALID', `Duplicate key in .env file: ${key}`, { details: { line, key } });
}

export function invalidAction(line: number): DsvError {
  return new DsvError(
    'DSV_ENV_INVALID',
    `Invalid .env action on line ${line}: expected new, update, get, or delete`,
    { details: { line } },
  );
}

export function invalidEntry(line: number, reason: EnvEntryFault): DsvError {
  return new DsvError('DSV_ENV_INVALID', `Invalid .env entry on line ${line}: ${ENTRY_EXPECTATION}`, {
    details: { line, reason },
  });
}

export function tooManyOperations(max: number, line: number): DsvError {
  return new DsvError('DSV_ENV_INVALID', `.env file must include at most ${max} operations`, {
    details: { line, max },
  });
}
