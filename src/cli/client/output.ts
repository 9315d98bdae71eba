// How client commands print: JSON documents for --json, plain lines otherwise; errors with their code.
import { reportAndExit } from '../admin-client.ts';

/** One JSON document per command run, on one line, for scripts (`jq`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Fixed-width columns (as `dsv status` prints them); nothing at all when there is only the header. */
export function printTable(rows: readonly (readonly string[])[]): void {
  if (rows.length < 2) return;
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** A run of a command's action with the house error handling (`error [CODE]: message`, exit 1). */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      reportAndExit(error);
    }
  };
}
