// One measured row of the benchmark, and how a workload run becomes one (shared by every mode).
import type { LoadResult } from './load.ts';
import { summarise, type Summary } from './stats.ts';

export type Operation = 'HTTP GET' | 'GET' | 'PUT';

export interface Measurement {
  readonly operation: Operation;
  /** The target: 'loopback #1', 'envelope', 'plain', … */
  readonly target: string;
  readonly concurrency: number;
  readonly summary: Summary;
  readonly errors: Record<string, number>;
  readonly issued: number;
}

export function measurement(
  operation: Operation,
  target: string,
  concurrency: number,
  result: LoadResult,
): Measurement {
  return {
    operation,
    target,
    concurrency,
    summary: summarise(result.latenciesMs, result.measuredMs),
    errors: result.errors,
    issued: result.issued,
  };
}

/** Pools several runs of one workload (e.g. the baseline before and after) into one reference figure. */
export function pooled(
  target: string,
  runs: readonly { concurrency: number; result: LoadResult }[],
): Measurement {
  const first = runs[0];
  if (!first) throw new Error('nothing to pool');
  const latencies = runs.flatMap((run) => run.result.latenciesMs);
  const measuredMs = runs.reduce((sum, run) => sum + run.result.measuredMs, 0);
  return {
    operation: 'HTTP GET',
    target,
    concurrency: first.concurrency,
    summary: summarise(latencies, measuredMs),
    errors: {},
    issued: runs.reduce((sum, run) => sum + run.result.issued, 0),
  };
}

export const errorCount = (m: Measurement): number => Object.values(m.errors).reduce((a, b) => a + b, 0);
