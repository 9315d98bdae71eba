// The .env transform in client-side mode: the server's grammar (src/kernel/env), one intent for the whole
// file (create/update/delete/read ops), staged and committed all-or-nothing; a file that only reads resolves each
// reference without an intent. The rendered file is the one POST /v2/env:transform answers.
import { parseEnvFile, renderEnvOutput, type EnvOperation } from '../src/kernel/env/index.ts';
import { DsvClientError } from './client-error.ts';
import { canonical, type Session } from './session.ts';
import { eachBounded, valueBytes } from './values.ts';
import { runWrite, type WriteOp } from './write-flow.ts';

const decoder = new TextDecoder();
const READ_CONCURRENCY = 8;

const secretName = (operation: EnvOperation): string =>
  operation.kind === 'get' ? operation.name : operation.key;

/** Secret names in NFC, as on every route; output variable names (`X=` of `secret(…)`) stay as written. */
function canonicalNames(operation: EnvOperation): EnvOperation {
  if (operation.kind === 'get')
    return { ...operation, name: canonical(operation.name, `secret name on line ${operation.line}`) };
  return { ...operation, key: canonical(operation.key, `secret key on line ${operation.line}`) };
}

/**
 * The parser refuses repeated keys as written; two spellings of one secret meet only in NFC, so the check runs
 * again on what the server will see (the variable a `secret(…)` line sets is its own, not a secret's name).
 */
function refuseRepeats(operations: readonly EnvOperation[]): void {
  const seen = new Set<string>();
  for (const operation of operations) {
    const claimed =
      operation.kind === 'get' && operation.output === 'dotenv' ? operation.key : secretName(operation);
    if (seen.has(claimed))
      throw new DsvClientError('DSV_ENV_INVALID', `Duplicate key in .env file: ${claimed}`, {
        details: { line: operation.line },
      });
    seen.add(claimed);
  }
}

function toWriteOp(namespace: string, operation: EnvOperation): WriteOp {
  if (operation.kind === 'create' || operation.kind === 'update')
    return { op: operation.kind, namespace, name: operation.key, value: valueBytes(operation.value).bytes };
  if (operation.kind === 'delete') return { op: 'delete', namespace, name: operation.key };
  const pinned = operation.version === undefined ? {} : { version: operation.version };
  return { op: 'read', namespace, name: operation.name, ...pinned };
}

const LINE_MESSAGES: Partial<Record<string, string>> = {
  DSV_SECRET_EXISTS: 'Secret already exists',
  DSV_SECRET_NOT_FOUND: 'Secret not found',
  DSV_WRITE_CONFLICT: 'Another write on this secret is in progress',
};

/** The failing op's secret and line in the message, as the server path words it (`Secret not found: KEY`). */
function naming(error: unknown, operations: readonly EnvOperation[]): unknown {
  if (!(error instanceof DsvClientError)) return error;
  const index = error.details?.opIndex;
  const operation = typeof index === 'number' ? operations[index] : undefined;
  const text = LINE_MESSAGES[error.code];
  if (operation === undefined || text === undefined) return error;
  return new DsvClientError(error.code, `${text}: ${secretName(operation)}`, {
    status: error.status,
    details: { line: operation.line },
  });
}

export async function transformEnvFile(
  session: Session,
  namespace: string,
  content: string,
): Promise<string> {
  const ns = canonical(namespace, 'namespace');
  const operations = parseEnvFile(content).map(canonicalNames);
  refuseRepeats(operations);
  const ops = operations.map((operation) => toWriteOp(ns, operation));
  const read = new Map<number, Uint8Array>();
  try {
    if (ops.some((op) => op.op !== 'read')) {
      const { reads } = await runWrite(session, ops).catch((error: unknown) => {
        throw naming(error, operations);
      });
      for (const [index, value] of reads) read.set(index, value);
    } else {
      await eachBounded(ops, READ_CONCURRENCY, async (op, index) => {
        const version = op.op === 'read' ? op.version : undefined;
        try {
          const { value } = await session.resolveAndRead(
            op.namespace,
            op.name,
            version === undefined ? {} : { version },
          );
          read.set(index, value);
        } catch (error) {
          throw naming(error instanceof DsvClientError ? withOpIndex(error, index) : error, operations);
        }
      });
    }
    const values = new Map<number, string>();
    for (const [index, value] of read)
      values.set((operations[index] as EnvOperation).line, decoder.decode(value));
    return renderEnvOutput(operations, values);
  } finally {
    for (const value of read.values()) value.fill(0);
    for (const op of ops) if (op.op === 'create' || op.op === 'update') op.value.fill(0);
  }
}

/** A resolve's 404 names the line it came from. */
const withOpIndex = (error: DsvClientError, opIndex: number): DsvClientError =>
  new DsvClientError(error.code, error.message, {
    status: error.status,
    details: { ...error.details, opIndex },
  });
