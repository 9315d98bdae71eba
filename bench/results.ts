// Prints a run's measurements: the main table, the ratios against the same-run baselines, and every error.
import type { Measurement, Operation } from './measurement.ts';
import { errorCount } from './measurement.ts';
import { formatNumber, formatTable } from './report.ts';
import type { SealerMicro } from './sealer-micro.ts';
import { ratio } from './stats.ts';

export interface RunFigures {
  /** Baseline runs in the order measured (before and after the DSV rows, to expose drift). */
  readonly baselineRuns: readonly Measurement[];
  /** Pooled baseline per concurrency: the reference every ratio divides by. */
  readonly baseline: ReadonlyMap<number, Measurement>;
  readonly rows: readonly Measurement[];
  /** The target whose rows are "DSV as configured" (ratios vs HTTP), and the one that prices encryption. */
  readonly mainTarget: string;
  readonly plainTarget?: string;
  readonly sealerMicro?: SealerMicro;
}

const find = (rows: readonly Measurement[], op: Operation, target: string, conc: number) =>
  rows.find((row) => row.operation === op && row.target === target && row.concurrency === conc);

export function printFigures(figures: RunFigures, out: (line: string) => void): number {
  const { baseline, rows } = figures;
  const all = [...figures.baselineRuns, ...rows];
  out(
    formatTable(
      [
        'workload',
        'target',
        'conc',
        'ok',
        'errors',
        'p50 ms',
        'p99 ms',
        'req/s',
        'p50 / RTT p50',
        'req/s / HTTP',
      ],
      all.map((row) => {
        const base = baseline.get(row.concurrency);
        return [
          row.operation,
          row.target,
          row.concurrency,
          row.summary.count,
          errorCount(row),
          row.summary.p50Ms,
          row.summary.p99Ms,
          row.summary.perSecond,
          ratio(row.summary.p50Ms, base?.summary.p50Ms ?? Number.NaN),
          ratio(row.summary.perSecond, base?.summary.perSecond ?? Number.NaN),
        ];
      }),
    ),
  );
  out('');
  const concurrencies = [...baseline.keys()];
  const ratioRows: Array<Array<string | number>> = [];
  const main = figures.mainTarget;
  for (const conc of concurrencies) {
    const base = baseline.get(conc)!.summary;
    const get = find(rows, 'GET', main, conc)?.summary;
    const put = find(rows, 'PUT', main, conc)?.summary;
    ratioRows.push([`GET p50 / HTTP RTT p50`, conc, ratio(get?.p50Ms ?? NaN, base.p50Ms)]);
    ratioRows.push([`PUT p50 / HTTP RTT p50`, conc, ratio(put?.p50Ms ?? NaN, base.p50Ms)]);
    ratioRows.push([`GET req/s / HTTP req/s`, conc, ratio(get?.perSecond ?? NaN, base.perSecond)]);
    ratioRows.push([`PUT req/s / HTTP req/s`, conc, ratio(put?.perSecond ?? NaN, base.perSecond)]);
  }
  const plain = figures.plainTarget;
  if (plain) {
    for (const op of ['PUT', 'GET'] as const) {
      for (const conc of concurrencies) {
        const enc = find(rows, op, main, conc)?.summary;
        const raw = find(rows, op, plain, conc)?.summary;
        ratioRows.push([`${op} p50 ${main} / ${plain}`, conc, ratio(enc?.p50Ms ?? NaN, raw?.p50Ms ?? NaN)]);
        ratioRows.push([
          `${op} req/s ${main} / ${plain}`,
          conc,
          ratio(enc?.perSecond ?? NaN, raw?.perSecond ?? NaN),
        ]);
      }
    }
  }
  for (const conc of concurrencies) {
    const runs = figures.baselineRuns.filter((run) => run.concurrency === conc);
    const first = runs[0]?.summary.p50Ms ?? NaN;
    const last = runs[runs.length - 1]?.summary.p50Ms ?? NaN;
    if (runs.length > 1) ratioRows.push([`baseline drift: last / first p50`, conc, ratio(last, first)]);
  }
  out(formatTable(['ratio (same run)', 'conc', 'value'], ratioRows));
  out('');
  const micro = figures.sealerMicro;
  if (micro) {
    out(
      `envelope sealer alone (${micro.operations} ops each, keyring on SQLite): ` +
        `seal ${formatNumber(micro.sealMicros)} µs, open ${formatNumber(micro.openMicros)} µs per shard ` +
        `(a write seals n shards, a read opens at least k).`,
    );
    out('');
  }
  return printErrors(all, out);
}

/** Lists every wrong answer; returns how many there were (the run fails if any). */
function printErrors(all: readonly Measurement[], out: (line: string) => void): number {
  let total = 0;
  for (const row of all) {
    for (const [what, count] of Object.entries(row.errors)) {
      total += count;
      out(`ERROR ${row.operation} ${row.target} c${row.concurrency}: ${count} × ${what}`);
    }
  }
  out(
    total === 0
      ? 'correctness: every answer had the expected status and body (values and versions checked).'
      : `correctness: ${total} wrong answers — the figures above are not valid.`,
  );
  return total;
}
