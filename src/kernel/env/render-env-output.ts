// Renders the response body of a .env transform: one line per non-delete operation, in file order (§10).
import { DsvError } from '../../errors/index.ts';
import type { EnvOperation } from './env-operation.ts';
import { formatDotenvValue, formatSecretReference } from './env-quoting.ts';

/**
 * `values` maps each `get` operation's line to the resolved plaintext. Lines are joined by `\n` with no
 * trailing newline, so a delete-only file yields '' (API-V1). A missing value is the caller's bug: failing
 * beats silently emitting `X=` for a secret that was never read.
 */
export function renderEnvOutput(
  operations: readonly EnvOperation[],
  values: ReadonlyMap<number, string>,
): string {
  const lines: string[] = [];
  for (const operation of operations) {
    switch (operation.kind) {
      case 'create':
        lines.push(
          operation.output === 'value'
            ? `${operation.key}=${operation.value}`
            : `${prefix(operation)}${operation.key}=${formatSecretReference(operation.key)}`,
        );
        break;
      case 'update':
        lines.push(`${operation.key}=${operation.value}`);
        break;
      case 'get': {
        const value = values.get(operation.line);
        if (value === undefined) {
          throw new DsvError('DSV_INTERNAL', `No resolved value for .env line ${operation.line}`);
        }
        lines.push(
          `${prefix(operation)}${operation.key}=${operation.output === 'raw' ? value : formatDotenvValue(value)}`,
        );
        break;
      }
      case 'delete':
        break;
    }
  }
  return lines.join('\n');
}

const prefix = (operation: { readonly exported?: true }): string => (operation.exported ? 'export ' : '');
