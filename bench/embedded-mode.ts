// Embedded mode: loopback HTTP baseline, then PUT and GET against real in-process 3-node clusters (envelope
// encryption as configured in `dsv dev`, and a pass-through sealer to price it), all in one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevKeyFile, envelopeSealer, type SealerFactory } from '../src/node/sealers.ts';
import type { CleanupStack } from './cleanup.ts';
import { startBenchCluster } from './embedded-cluster.ts';
import { runLoadInWorker } from './load-in-worker.ts';
import type { LoadResult } from './load.ts';
import { startLoopbackServer } from './loopback-server.ts';
import { plainSealerFactory } from './plain-sealer.ts';
import { measureEnvelopeSealer } from './sealer-micro.ts';
import { measurement, pooled, type Measurement } from './measurement.ts';
import type { BenchOptions } from './options.ts';
import type { RunFigures } from './results.ts';
import type { KeyState, WorkloadKind, WorkloadSpec } from './workload.ts';

const USER = 'bench';
const VALUE_BYTES = 100;
const MAX_REQUESTS = 1_000_000;
const REQUEST_TIMEOUT_MS = 10_000;

interface Target {
  readonly label: string;
  readonly urls: string[];
  keys: KeyState[];
}

export async function runEmbeddedMode(
  options: BenchOptions,
  cleanup: CleanupStack,
  progress: (line: string) => void,
): Promise<RunFigures> {
  const spec = (
    kind: WorkloadKind,
    origins: string[],
    concurrency: number,
    keys: KeyState[],
  ): WorkloadSpec => ({
    kind,
    origins,
    concurrency,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    maxRequests: MAX_REQUESTS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    user: USER,
    keys,
    valueBytes: VALUE_BYTES,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-bench-'));
  cleanup.defer('remove temp data', () => rmSync(dataDir, { recursive: true, force: true }));
  const loopback = await startLoopbackServer();
  cleanup.defer('stop loopback server', () => loopback.close());

  const baselineRuns: Array<{ concurrency: number; result: LoadResult; measured: Measurement }> = [];
  const measureBaseline = async (round: number) => {
    for (const conc of options.concurrencies) {
      progress(`baseline: HTTP GET loopback #${round}, concurrency ${conc}`);
      const result = await runLoadInWorker(spec('http-get', [loopback.url], conc, []));
      baselineRuns.push({
        concurrency: conc,
        result,
        measured: measurement('HTTP GET', `loopback #${round}`, conc, result),
      });
    }
  };
  await measureBaseline(1);

  const keyFile = ensureDevKeyFile(join(dataDir, 'dev-kek.key'));
  const sealers: Array<[string, SealerFactory]> = [
    ['envelope', envelopeSealer({ kind: 'key-file', path: keyFile })],
  ];
  if (options.plainBaseline) sealers.push(['plain', plainSealerFactory]);
  const keyCount = Math.max(64, ...options.concurrencies);
  const targets: Target[] = [];
  for (const [label, sealer] of sealers) {
    progress(`starting 3-node cluster (${label} at rest)`);
    const cluster = await startBenchCluster({ dataDir: join(dataDir, label), sealer });
    cleanup.defer(`stop ${label} cluster`, () => cluster.stop());
    const fresh = Array.from({ length: keyCount }, (_, i) => ({
      name: `bench-key-${String(i).padStart(4, '0')}`,
      value: undefined,
      version: undefined,
    }));
    // Seeding is a bounded create run: exactly one POST per key, every answer checked.
    const seeded = await runLoadInWorker({
      ...spec('v1-create', cluster.urls, 8, fresh),
      warmupMs: 0,
      durationMs: 60_000,
      maxRequests: keyCount,
    });
    if (Object.keys(seeded.errors).length > 0 || seeded.keys.some((key) => key.version !== 1)) {
      throw new Error(`seeding the ${label} cluster failed: ${JSON.stringify(seeded.errors)}`);
    }
    targets.push({ label, urls: cluster.urls, keys: seeded.keys });
  }

  // Rows interleave the clusters (envelope, plain, envelope, …) so slow drift of a shared machine hits both.
  const rows: Measurement[] = [];
  // Rows alternate which cluster goes first (A B, B A, …) so warm-up and slow drift of a shared machine
  // favour neither side of the encrypted/plain ratio.
  let pair = 0;
  for (const [operation, kind] of [
    ['PUT', 'v1-put'],
    ['GET', 'v1-get'],
  ] as const) {
    for (const conc of options.concurrencies) {
      const order = pair++ % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        progress(`${operation} ${target.label}, concurrency ${conc}`);
        const result = await runLoadInWorker(spec(kind, target.urls, conc, target.keys));
        target.keys = result.keys;
        rows.push(measurement(operation, target.label, conc, result));
      }
    }
  }
  await measureBaseline(2);
  progress('envelope sealer alone (seal/open of one shard)');
  const sealerMicro = await measureEnvelopeSealer(dataDir, keyFile);

  const baseline = new Map<number, Measurement>();
  for (const conc of options.concurrencies) {
    baseline.set(
      conc,
      pooled(
        'loopback',
        baselineRuns.filter((run) => run.concurrency === conc),
      ),
    );
  }
  return {
    baselineRuns: baselineRuns.map((run) => run.measured),
    baseline,
    rows,
    mainTarget: 'envelope',
    sealerMicro,
    ...(options.plainBaseline ? { plainTarget: 'plain' } : {}),
  };
}
