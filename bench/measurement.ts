// Measured rows of the benchmark, and how runs of one workload become one (shared by every mode).
import type { LoadResult } from './load.ts';
import { summarise, type Summary } from './stats.ts';

/** A DSV workload's row label: issue 10's v2 rows, or v1 PUT and GET (the only ones in kafka mode). */
export type DsvOperation = 'create' | 'update' | 'read' | 'mixed 90/10' | 'GET' | 'PUT';

/** DSV's operations, the HTTP/HTTPS round-trip baselines, and one raw Kafka produce (kafka mode). */
export type Operation = 'HTTP GET' | 'HTTPS GET' | 'PRODUCE' | DsvOperation;

export interface Measurement {
  readonly operation: Operation;
  /** The target: 'loopback', 'envelope', 'plain', 'kafka-3proc', 'kafka-produce', … */
  readonly target: string;
  readonly concurrency: number;
  readonly summary: Summary;
  readonly errors: Record<string, number>;
  readonly issued: number;
}

/**
 * One DSV workload at one concurrency, measured in slices interleaved in time with the loopback baseline
 * (and the other targets), so every ratio divides figures taken under the same machine load.
 */
export interface MeasuredGroup {
  readonly operation: DsvOperation;
  readonly concurrency: number;
  readonly baseline: Measurement;
  readonly rows: readonly Measurement[];
}

/** Pools the slices of one target into one row: all samples, summed windows, summed errors. */
export function pooled(
  operation: Operation,
  target: string,
  concurrency: number,
  slices: readonly LoadResult[],
): Measurement {
  const errors: Record<string, number> = {};
  for (const slice of slices) {
    for (const [what, count] of Object.entries(slice.errors)) errors[what] = (errors[what] ?? 0) + count;
  }
  return {
    operation,
    target,
    concurrency,
    summary: summarise(
      slices.flatMap((slice) => slice.latenciesMs),
      slices.reduce((sum, slice) => sum + slice.measuredMs, 0),
    ),
    errors,
    issued: slices.reduce((sum, slice) => sum + slice.issued, 0),
  };
}

export const errorCount = (m: Measurement): number => Object.values(m.errors).reduce((a, b) => a + b, 0);
