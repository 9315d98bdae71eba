// Command-line options of `npm run bench`, parsed and bounded (the whole default run stays under ~3 minutes).
import { parseArgs } from 'node:util';
import type { DsvOperation } from './measurement.ts';
import type { WorkloadKind } from './workload.ts';

export type BenchMode = 'embedded' | 'kafka';

/** A row of issue 10's table (v2 API, as `../shared/perf` drives DSV), or one of the v1 rows. */
export type WorkloadName = 'create' | 'update' | 'read' | 'mixed' | 'v1-put' | 'v1-get';

/** What each workload sends, its row label, and its concurrencies unless `--concurrency` is given. */
export const WORKLOADS: Readonly<
  Record<WorkloadName, { kind: WorkloadKind; label: DsvOperation; concurrencies: readonly number[] }>
> = {
  create: { kind: 'v2-create', label: 'create', concurrencies: [1, 32] },
  update: { kind: 'v2-update', label: 'update', concurrencies: [32] },
  read: { kind: 'v2-read', label: 'read', concurrencies: [1, 32] },
  mixed: { kind: 'v2-mixed', label: 'mixed 90/10', concurrencies: [32] },
  'v1-put': { kind: 'v1-put', label: 'PUT', concurrencies: [1, 32] },
  'v1-get': { kind: 'v1-get', label: 'GET', concurrencies: [1, 32] },
};

const CLIENT_SIDE_CHOICES = ['put-get', 'all', 'none'] as const;
export type ClientSideChoice = (typeof CLIENT_SIDE_CHOICES)[number];
const isClientSideChoice = (value: string): value is ClientSideChoice =>
  (CLIENT_SIDE_CHOICES as readonly string[]).includes(value);

/**
 * The groups (`<workload>@<concurrency>`) the client-side target joins. The v2 kinds with a client-side
 * counterpart are create, update and read; `put-get` keeps the run within its budget with one PUT per
 * concurrency (update where it runs, else create) and every read.
 */
export function clientSideGroups(options: Pick<BenchOptions, 'workloads' | 'clientSide'>): Set<string> {
  const groups = new Set<string>();
  if (options.clientSide === 'none') return groups;
  const runs = (name: WorkloadName, conc: number) =>
    options.workloads.some((workload) => workload.name === name && workload.concurrencies.includes(conc));
  for (const { name, concurrencies } of options.workloads) {
    for (const conc of concurrencies) {
      const join =
        name === 'read' ||
        name === 'update' ||
        (name === 'create' && (options.clientSide === 'all' || !runs('update', conc)));
      if (join) groups.add(`${name}@${conc}`);
    }
  }
  return groups;
}

export interface WorkloadChoice {
  readonly name: WorkloadName;
  readonly concurrencies: readonly number[];
}

export interface BenchOptions {
  readonly mode: BenchMode;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Kafka mode's concurrencies (and `--concurrency` as given, if it was). */
  readonly concurrencies: readonly number[];
  /** Embedded mode: the workloads in run order, each with its concurrencies. */
  readonly workloads: readonly WorkloadChoice[];
  readonly plainBaseline: boolean;
  /**
   * Embedded mode: the groups the envelope cluster also joins through the client library (client-side):
   * `put-get` every read group and one PUT group per concurrency (update where it runs, else create); `all`
   * every create, update and read group; `none`.
   */
  readonly clientSide: ClientSideChoice;
  /** Embedded mode: count fsync/fdatasync calls per operation with strace after each group. */
  readonly countFsyncs: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --mode embedded|kafka   embedded: a 3-node dev cluster in this process (default);
                          kafka: 1 Kafka broker + 3 dsv server processes, with a raw produce baseline
  --workloads <list>      embedded mode: any of create,update,read,mixed (v2 API, issue 10's rows; the
                          default) and v1-put,v1-get (API-V1); kafka mode measures v1 PUT and GET
  --duration <s>          measured seconds per row (default 4, max 60)
  --warmup <s>            warm-up seconds per row, not measured (default 1, max 30)
  --concurrency <list>    comma-separated concurrencies for every workload (each 1..256); default: issue
                          10's (create 1,32; update 32; read 1,32; mixed 32; v1 1,32; kafka mode 1,32)
  --no-plain              skip the pass-through-sealer cluster (embedded mode; no at-rest encryption cost)
  --client-side <which>   embedded mode: the groups that also measure the envelope cluster through the
                          client library (split and combine in the load worker): put-get (default: every
                          read, and one PUT per concurrency: update where it runs, else create), all
                          (every create, update and read), none
  --no-fsyncs             skip counting fsyncs per operation (embedded mode; strace)
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

const isWorkload = (name: string): name is WorkloadName => Object.hasOwn(WORKLOADS, name);

/** Returns undefined for --help. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      mode: { type: 'string', default: 'embedded' },
      workloads: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      'no-plain': { type: 'boolean', default: false },
      'client-side': { type: 'string', default: 'put-get' },
      'no-fsyncs': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  if (values.mode !== 'embedded' && values.mode !== 'kafka')
    throw new UsageError(`unknown mode ${values.mode}`);
  if (!isClientSideChoice(values['client-side']))
    throw new UsageError(`--client-side takes ${CLIENT_SIDE_CHOICES.join(', ')}`);
  if (values.mode === 'kafka' && values.workloads !== undefined)
    throw new UsageError('--workloads applies to embedded mode (kafka mode measures v1 PUT and GET)');
  const durationMs = seconds(values.duration, 4, 60, '--duration');
  if (durationMs === 0) throw new UsageError('--duration must be > 0');
  const given = values.concurrency?.split(',').map((part) => Number(part.trim()));
  if (given?.some((c) => !Number.isInteger(c) || c < 1 || c > 256)) {
    throw new UsageError('--concurrency takes integers 1..256');
  }
  const names = (values.workloads ?? 'create,update,read,mixed').split(',').map((part) => part.trim());
  const unknown = names.filter((name) => !isWorkload(name));
  if (unknown.length > 0 || names.length === 0)
    throw new UsageError(`unknown workload ${unknown.join(',')}; known: ${Object.keys(WORKLOADS).join(',')}`);
  const concurrencies = given === undefined ? [1, 32] : [...new Set(given)];
  return {
    mode: values.mode,
    warmupMs: seconds(values.warmup, 1, 30, '--warmup'),
    durationMs,
    concurrencies,
    workloads: [...new Set(names.filter(isWorkload))].map((name) => ({
      name,
      concurrencies: given === undefined ? WORKLOADS[name].concurrencies : concurrencies,
    })),
    plainBaseline: !values['no-plain'],
    clientSide: values['client-side'],
    countFsyncs: !values['no-fsyncs'],
  };
}
