// Prints a run's measurements: the main table, the ratios against the same-run baselines, the sync calls per
// operation, and every error.
import type { InProcessSyncs, SyncFigures } from './sync-counters.ts';
import { SYNCED_WRITES } from '../src/platform/durable-file.ts';
import { errorCount, type MeasuredGroup } from './measurement.ts';
import { formatNumber, formatTable } from './report.ts';
import type { SealerMicro } from './sealer-micro.ts';
import { ratio } from './stats.ts';

export interface RunFigures {
  readonly groups: readonly MeasuredGroup[];
  /** The target that is "DSV as configured" (ratios vs HTTP), and the one that prices encryption. */
  readonly mainTarget: string;
  readonly plainTarget?: string;
  /** The main target driven through the client library (client-side split and combine), where measured. */
  readonly clientSideTarget?: string;
  readonly slices: number;
  readonly sealerMicro?: SealerMicro;
  /** What each group's baseline row is (default 'HTTP RTT'); kafka mode uses the HTTPS round trip. */
  readonly baselineLabel?: string;
  /** Further same-group rows the main target is divided by (kafka mode: the raw produce, plain HTTP). */
  readonly divisors?: ReadonlyArray<{ readonly target: string; readonly label: string }>;
  /** Embedded mode: sync calls per operation, counted with strace after each group. */
  readonly syncs?: SyncFigures;
}

const rowOf = (group: MeasuredGroup, target: string | undefined) =>
  group.rows.find((row) => row.target === target)?.summary;

export function printFigures(figures: RunFigures, out: (line: string) => void): number {
  const baseLabel = figures.baselineLabel ?? 'HTTP RTT';
  const lines: Array<Array<string | number>> = [];
  for (const group of figures.groups) {
    const base = group.baseline.summary;
    for (const row of [group.baseline, ...group.rows]) {
      lines.push([
        row.operation,
        row.target,
        row.concurrency,
        row.summary.count,
        errorCount(row),
        row.summary.p50Ms,
        // A p99 of fewer than 100 samples is just the maximum: say so rather than print it as a p99.
        row.summary.count >= 100 ? row.summary.p99Ms : 'n < 100',
        row.summary.perSecond,
        ratio(row.summary.p50Ms, base.p50Ms),
        ratio(row.summary.perSecond, base.perSecond),
      ]);
    }
  }
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
        figures.baselineLabel === undefined ? 'p50 / RTT p50' : `p50 / ${baseLabel} p50`,
        `req/s / ${baseLabel.replace(/ RTT$/, '')}`,
      ],
      lines,
    ),
  );
  out('');
  const ratios: Array<Array<string | number>> = [];
  const { mainTarget: main, plainTarget: plain } = figures;
  for (const group of figures.groups) {
    const base = group.baseline.summary;
    const dsv = rowOf(group, main);
    const op = group.operation;
    ratios.push([`${op} p50 / ${baseLabel} p50`, group.concurrency, ratio(dsv?.p50Ms ?? NaN, base.p50Ms)]);
    ratios.push([
      `${op} req/s / ${baseLabel.replace(/ RTT$/, '')} req/s`,
      group.concurrency,
      ratio(dsv?.perSecond ?? NaN, base.perSecond),
    ]);
    for (const divisor of figures.divisors ?? []) {
      const by = rowOf(group, divisor.target);
      if (!by) continue;
      ratios.push([
        `${op} p50 / ${divisor.label} p50`,
        group.concurrency,
        ratio(dsv?.p50Ms ?? NaN, by.p50Ms),
      ]);
      ratios.push([
        `${op} req/s / ${divisor.label.replace(/ RTT$/, '')} req/s`,
        group.concurrency,
        ratio(dsv?.perSecond ?? NaN, by.perSecond),
      ]);
    }
    const clientSide = rowOf(group, figures.clientSideTarget);
    if (clientSide !== undefined) {
      ratios.push([
        `${op} p50 client-side / server-side`,
        group.concurrency,
        ratio(clientSide.p50Ms, dsv?.p50Ms ?? NaN),
      ]);
      ratios.push([
        `${op} req/s client-side / server-side`,
        group.concurrency,
        ratio(clientSide.perSecond, dsv?.perSecond ?? NaN),
      ]);
    }
    if (plain !== undefined) {
      const raw = rowOf(group, plain);
      ratios.push([
        `${op} p50 ${main} / ${plain}`,
        group.concurrency,
        ratio(dsv?.p50Ms ?? NaN, raw?.p50Ms ?? NaN),
      ]);
      ratios.push([
        `${op} req/s ${main} / ${plain}`,
        group.concurrency,
        ratio(dsv?.perSecond ?? NaN, raw?.perSecond ?? NaN),
      ]);
    }
  }
  // How much the machine moved during the run: the same baseline measured beside each group.
  for (const conc of new Set(figures.groups.map((group) => group.concurrency))) {
    const p50s = figures.groups.filter((g) => g.concurrency === conc).map((g) => g.baseline.summary.p50Ms);
    if (p50s.length > 1)
      ratios.push([`${baseLabel} p50 spread: max / min`, conc, Math.max(...p50s) / Math.min(...p50s)]);
  }
  out(formatTable(['ratio (same run, interleaved)', 'conc', 'value'], ratios));
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
  if (figures.syncs) printSyncs(figures.syncs, out);
  const counted = (figures.syncs?.counts ?? []).map((count) => ({
    operation: count.operation,
    target: `${figures.syncs?.target ?? '?'} (sync count)`,
    concurrency: count.concurrency,
    errors: count.errors,
  }));
  return printErrors(
    [...figures.groups.flatMap((group) => [group.baseline, ...group.rows]), ...counted],
    out,
  );
}

const perOp = (calls: number | undefined, operations: number) =>
  calls === undefined ? '–' : ratio(calls, operations);

/**
 * Batches written to O_DSYNC files: synced inside their write, so strace counts no sync call for them. Where
 * the flag is not used (not Linux), each batch made an fdatasync that strace counted already.
 */
const dsyncBatches = (syncs: InProcessSyncs): number =>
  SYNCED_WRITES === 0 ? 0 : syncs.logBatches + syncs.auditBatches;

/** The sync calls counted per operation (never estimated: without strace there is no figure). */
export function printSyncs(syncs: SyncFigures, out: (line: string) => void): void {
  if (syncs.counts.length === 0) {
    out(`fsyncs: not counted (${syncs.notCounted ?? 'no group was measured'})`);
    out('');
    return;
  }
  out(
    `sync calls per operation, counted: strace -f -c -e trace=fsync,fdatasync,sync_file_range attached to this ` +
      `process after each group's slices, for a fixed number of operations (ops) of that group on the ` +
      `${syncs.target} cluster (the other cluster idles in the same process); beside them DSV's own counts of ` +
      `the syncs it asks for: embedded-log batches, audit-trail batches, node-database WAL syncs. Log and ` +
      `audit batches are single writes to files opened O_DSYNC (synced inside the write, so strace's sync ` +
      `calls do not include them); "durable steps / op" adds DSV's count of those batches to strace's sync calls.`,
  );
  const lines = syncs.counts.map((count) => {
    const n = count.operations;
    return [
      count.operation,
      count.concurrency,
      n,
      count.seconds,
      count.calls.fsync,
      count.calls.fdatasync,
      count.calls.syncFileRange,
      ratio(count.calls.fsync + count.calls.fdatasync, n),
      ratio(count.calls.fsync + count.calls.fdatasync + dsyncBatches(count.inProcess), n),
      perOp(count.inProcess.logBatches, n),
      perOp(count.inProcess.auditBatches, n),
      perOp(count.inProcess.walSyncs, n),
    ];
  });
  out(
    formatTable(
      [
        'workload',
        'conc',
        'ops',
        's',
        'fsync',
        'fdatasync',
        'sync_file_range',
        '(fsync+fdatasync) / op',
        'durable steps / op',
        'log batches / op',
        'audit batches / op',
        'WAL syncs / op',
      ],
      lines,
    ),
  );
  const idle = syncs.idle;
  if (idle) {
    const per = (calls: number | undefined) =>
      calls === undefined ? '–' : formatNumber(calls / idle.seconds);
    out(
      `with no requests (${formatNumber(idle.seconds)} s, both clusters): ` +
        `${per(idle.calls.fsync + idle.calls.fdatasync)} fsync+fdatasync/s ` +
        `(log batches ${per(idle.inProcess.logBatches)}/s, audit batches ${per(idle.inProcess.auditBatches)}/s, ` +
        `WAL syncs ${per(idle.inProcess.walSyncs)}/s): the background share of the figures above.`,
    );
  }
  if (syncs.notCounted !== undefined) out(`fsyncs: not counted for the rest (${syncs.notCounted})`);
  out('');
}

interface ErrorRow {
  readonly operation: string;
  readonly target: string;
  readonly concurrency: number;
  readonly errors: Record<string, number>;
}

/** Lists every wrong answer; returns how many there were (the run fails if any). */
function printErrors(all: readonly ErrorRow[], out: (line: string) => void): number {
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
