// Executes a parsed .env file as one all-or-nothing batch (DESIGN §10) and renders the transformed file.
import { requireCapability, type Caller } from '../control/index.ts';
import { DsvError } from '../errors/index.ts';
import type { BatchOp, Coordinator } from '../cluster/index.ts';
import { renderEnvOutput, type EnvOperation } from '../kernel/env/index.ts';
import { requireWellFormed } from './well-formed.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBatchOp(namespace: string, operation: EnvOperation, maxValueBytes: number): BatchOp {
  switch (operation.kind) {
    case 'create':
    case 'update': {
      requireWellFormed(operation.key, `Secret key on line ${operation.line}`);
      const value = encoder.encode(
        requireWellFormed(operation.value, `Secret value on line ${operation.line}`),
      );
      if (value.length > maxValueBytes) {
        throw new DsvError(
          'DSV_VALUE_TOO_LARGE',
          `Secret value too large (max ${maxValueBytes} bytes): ${operation.key}`,
        );
      }
      return { op: operation.kind, namespace, name: operation.key, value };
    }
    case 'get':
      return {
        op: 'read',
        namespace,
        name: operation.name,
        ...(operation.version === undefined ? {} : { version: operation.version }),
      };
    case 'delete':
      requireWellFormed(operation.key, `Secret key on line ${operation.line}`);
      return { op: 'delete', namespace, name: operation.key };
  }
}

const secretNameOf = (operation: EnvOperation): string =>
  operation.kind === 'get' ? operation.name : operation.key;

const CAPABILITY_OF = { create: 'create', update: 'update', get: 'read', delete: 'delete' } as const;

/** The secret paths a .env file reads or writes, for the audit trail (one record each, by HMAC). */
export function envAuditPaths(
  namespace: string,
  operations: readonly EnvOperation[],
): Array<{ namespace: string; name: string }> {
  return operations.map((operation) => ({ namespace, name: secretNameOf(operation) }));
}

/** Every line of a .env file is authorised before anything is ordered (I-G1): one denial fails the file. */
export function requireEnvCapability(caller: Caller, namespace: string, operation: EnvOperation): void {
  requireCapability(caller, CAPABILITY_OF[operation.kind], namespace, secretNameOf(operation));
  // `secret(NAME, version=N)` reads history, as `?version=N` does on v1 and v2.
  if (operation.kind === 'get' && operation.version !== undefined)
    requireCapability(caller, 'history', namespace, operation.name);
}

/** Secret names are canonicalised to NFC as on every route; an output variable name (`X=`) stays as written. */
export function canonicalEnvNames(operation: EnvOperation): EnvOperation {
  return operation.kind === 'get'
    ? { ...operation, name: operation.name.normalize('NFC') }
    : { ...operation, key: operation.key.normalize('NFC') };
}

/**
 * The parser refuses a repeated key, but two lines naming one secret in different normal forms only meet
 * after canonicalisation; the same check runs again on canonical keys (an output variable of `X=secret(…)`
 * stays as written), so one secret is never written twice, or read and written, in one batch (DESIGN §10).
 */
export function refuseRepeatedEnvKeys(operations: readonly EnvOperation[]): void {
  const seen = new Set<string>();
  for (const operation of operations) {
    const key = operation.kind === 'get' && operation.output === 'raw' ? operation.name : operation.key;
    if (seen.has(key)) {
      throw new DsvError('DSV_ENV_INVALID', `Duplicate key in .env file: ${key}`, {
        details: { line: operation.line },
      });
    }
    seen.add(key);
  }
}

/** What one .env transform may cost (node config `limits`): secrets named, and bytes of values moved. */
export interface EnvBudget {
  readonly maxEnvSecrets?: number;
  readonly maxEnvValueBytes?: number;
  /** The node's name limit, as v1 and v2 apply it to a secret's name. */
  readonly maxNameLength?: number;
}

function overBudget(message: string): DsvError {
  return new DsvError('DSV_ENV_BUDGET_EXCEEDED', message);
}

/** Before anything is ordered: the number of lines, and the bytes of the values the file writes. */
export function checkEnvBudget(operations: readonly EnvOperation[], budget: EnvBudget): void {
  const maxSecrets = budget.maxEnvSecrets ?? Infinity;
  if (operations.length > maxSecrets) {
    throw overBudget(`The .env file names ${operations.length} secrets; at most ${maxSecrets} per request`);
  }
  const written = operations.reduce(
    (sum, op) => sum + (op.kind === 'create' || op.kind === 'update' ? Buffer.byteLength(op.value) : 0),
    0,
  );
  const maxBytes = budget.maxEnvValueBytes ?? Infinity;
  if (written > maxBytes) {
    throw overBudget(`The .env file writes more than ${maxBytes} bytes of values; split it`);
  }
  const maxName = budget.maxNameLength ?? Infinity;
  for (const operation of operations) {
    if (secretNameOf(operation).length > maxName) {
      throw new DsvError(
        'DSV_INPUT_INVALID',
        `The secret key on line ${operation.line} is too long (max ${maxName} characters)`,
        { details: { line: operation.line } },
      );
    }
  }
}

/** Names the failing line's secret in the message, as the original did (`Secret not found: KEY`). */
function explain(error: unknown, operations: readonly EnvOperation[]): unknown {
  if (!(error instanceof DsvError)) return error;
  const index = error.details?.opIndex;
  const operation = typeof index === 'number' ? operations[index] : undefined;
  if (!operation) return error;
  const name = secretNameOf(operation);
  switch (error.code) {
    case 'DSV_SECRET_EXISTS':
      return new DsvError(error.code, `Secret already exists: ${name}`, {
        details: { line: operation.line },
      });
    case 'DSV_SECRET_NOT_FOUND':
      return new DsvError(error.code, `Secret not found: ${name}`, { details: { line: operation.line } });
    case 'DSV_WRITE_CONFLICT':
      return new DsvError(error.code, `Another write on this secret is in progress: ${name}`, {
        details: { line: operation.line },
      });
    default:
      return error;
  }
}

export async function transformEnv(
  coordinator: Coordinator,
  caller: Caller,
  namespace: string,
  operations: readonly EnvOperation[],
  maxValueBytes: number,
  budget: EnvBudget = {},
): Promise<string> {
  checkEnvBudget(operations, budget);
  const ops = operations.map((operation) => toBatchOp(namespace, operation, maxValueBytes));
  let results;
  try {
    results = await coordinator.batch(caller.tenant, ops, { caller });
  } catch (error) {
    throw explain(error, operations);
  }
  const values = new Map<number, string>();
  let total = operations.reduce(
    (sum, op) => sum + (op.kind === 'create' || op.kind === 'update' ? Buffer.byteLength(op.value) : 0),
    0,
  );
  const maxBytes = budget.maxEnvValueBytes ?? Infinity;
  operations.forEach((operation, index) => {
    const value = results[index]?.value;
    if (operation.kind !== 'get' || !value) return;
    total += value.length;
    // The resolved values are the response: bounded, so one request cannot make the node hold them all.
    if (total > maxBytes) throw overBudget(`The .env file resolves more than ${maxBytes} bytes of values`);
    values.set(operation.line, decoder.decode(value));
  });
  return renderEnvOutput(operations, values);
}
