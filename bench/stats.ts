// Latency percentiles and throughput from one run's samples.

export interface Summary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly perSecond: number;
}

/** Nearest-rank percentile of ascending `sorted` (p in (0, 100]); NaN for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarise(latenciesMs: readonly number[], measuredMs: number): Summary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const values = Array.from(sorted);
  const total = values.reduce((sum, value) => sum + value, 0);
  return {
    count: values.length,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    meanMs: values.length === 0 ? Number.NaN : total / values.length,
    perSecond: measuredMs > 0 ? (values.length * 1000) / measuredMs : Number.NaN,
  };
}

/** a / b, NaN when either side is missing, so a ratio is never made up. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}
