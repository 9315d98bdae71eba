// Plain-text tables for the benchmark's stdout: aligned columns, numbers rounded for reading.

export type Cell = string | number;

/** Rounds to 3 significant digits at most (ms and ratios), whole numbers for large figures (req/s). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 100) return Math.round(value).toString();
  return value.toPrecision(3).replace(/\.?0+$/, '');
}

const show = (cell: Cell) => (typeof cell === 'number' ? formatNumber(cell) : cell);

/** Text columns align left, numeric ones right. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map(show));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...text.map((row) => (row[i] ?? '').length)),
  );
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] !== 'string'));
  const line = (cells: readonly string[], header: boolean) =>
    cells
      .map((cell, i) => (numeric[i] && !header ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-|-');
  return [line(headers, true), rule, ...text.map((row) => line(row, false))].join('\n');
}
