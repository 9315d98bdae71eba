// Command-line options of `npm run bench`, parsed and bounded (the whole default run stays under ~2 minutes).
import { parseArgs } from 'node:util';

export type BenchMode = 'embedded' | 'kafka';

export interface BenchOptions {
  readonly mode: BenchMode;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly concurrencies: readonly number[];
  readonly plainBaseline: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --mode embedded|kafka   embedded: a 3-node dev cluster in this process (default);
                          kafka: 1 Kafka broker + 3 dsv server processes, with a raw produce baseline
  --duration <s>          measured seconds per row (default 4, max 60)
  --warmup <s>            warm-up seconds per row, not measured (default 1, max 30)
  --concurrency <list>    comma-separated concurrencies (default 1,32; each 1..256)
  --no-plain              skip the pass-through-sealer cluster (embedded mode; no at-rest encryption cost)
  --help`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function seconds(raw: string | undefined, fallback: number, max: number, what: string): number {
  if (raw === undefined) return fallback * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max)
    throw new UsageError(`${what} must be 0..${max} s`);
  return value * 1000;
}

/** Returns undefined for --help. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      mode: { type: 'string', default: 'embedded' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string', default: '1,32' },
      'no-plain': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  if (values.mode !== 'embedded' && values.mode !== 'kafka')
    throw new UsageError(`unknown mode ${values.mode}`);
  const durationMs = seconds(values.duration, 4, 60, '--duration');
  if (durationMs === 0) throw new UsageError('--duration must be > 0');
  const concurrencies = values.concurrency.split(',').map((part) => Number(part.trim()));
  if (concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 256)) {
    throw new UsageError('--concurrency takes integers 1..256');
  }
  return {
    mode: values.mode,
    warmupMs: seconds(values.warmup, 1, 30, '--warmup'),
    durationMs,
    concurrencies: [...new Set(concurrencies)],
    plainBaseline: !values['no-plain'],
  };
}
