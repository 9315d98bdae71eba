// kernel/env — the pure .env transform grammar: parse a file into operations, render the response (§10).
// Invariants: I-G2 errors never contain secret material (env-errors.ts); a file parses whole or not at all.
export { parseEnvFile } from './parse-env-file.ts';
export { renderEnvOutput } from './render-env-output.ts';
export { formatSecretReference } from './env-quoting.ts';
export {
  MAX_ENV_OPERATIONS,
  type EnvOperation,
  type EnvOperationKind,
  type ParseEnvOptions,
} from './env-operation.ts';
export type { EnvEntryFault } from './env-errors.ts';
