// Embedded mode: PUT and GET against real in-process 3-node clusters (envelope encryption as in `dsv dev`,
// and a pass-through sealer to price it), each interleaved in time with a loopback HTTP baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevKeyFile, envelopeSealer, type SealerFactory } from '../src/node/sealers.ts';
import type { CleanupStack } from './cleanup.ts';
import { startBenchCluster } from './embedded-cluster.ts';
import { runLoadInWorker } from './load-in-worker.ts';
import type { LoadResult } from './load.ts';
import { startLoopbackServer } from './loopback-server.ts';
import { pooled, type MeasuredGroup } from './measurement.ts';
import type { BenchOptions } from './options.ts';
import { plainSealerFactory } from './plain-sealer.ts';
import type { RunFigures } from './results.ts';
import { measureEnvelopeSealer } from './sealer-micro.ts';
import type { KeyState, WorkloadKind, WorkloadSpec } from './workload.ts';

const USER = 'bench';
const VALUE_BYTES = 100;
const MAX_REQUESTS = 1_000_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Each row is measured in this many slices, rotating which target goes first (drift hits all alike). */
export const SLICES = 4;
/** Warm-up of the later slices: enough to reopen keep-alive connections, the code is already warm. */
const RESLICE_WARMUP_MS = 250;

interface Target {
  readonly label: string;
  readonly kind: 'loopback' | 'cluster';
  readonly urls: string[];
  keys: KeyState[];
}

export async function runEmbeddedMode(
  options: BenchOptions,
  cleanup: CleanupStack,
  progress: (line: string) => void,
): Promise<RunFigures> {
  const spec = (kind: WorkloadKind, target: Target, concurrency: number, slice: number): WorkloadSpec => ({
    kind,
    origins: target.urls,
    concurrency,
    warmupMs: slice === 0 ? options.warmupMs : Math.min(options.warmupMs, RESLICE_WARMUP_MS),
    durationMs: options.durationMs / SLICES,
    maxRequests: MAX_REQUESTS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    user: USER,
    keys: target.keys,
    valueBytes: VALUE_BYTES,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-bench-'));
  cleanup.defer('remove temp data', () => rmSync(dataDir, { recursive: true, force: true }));
  const loopback = await startLoopbackServer();
  cleanup.defer('stop loopback server', () => loopback.close());

  const keyFile = ensureDevKeyFile(join(dataDir, 'dev-kek.key'));
  const sealers: Array<[string, SealerFactory]> = [
    ['envelope', envelopeSealer({ kind: 'key-file', path: keyFile })],
  ];
  if (options.plainBaseline) sealers.push(['plain', plainSealerFactory]);
  const keyCount = Math.max(64, ...options.concurrencies);
  const targets: Target[] = [{ label: 'loopback', kind: 'loopback', urls: [loopback.url], keys: [] }];
  for (const [label, sealer] of sealers) {
    progress(`starting 3-node cluster (${label} at rest)`);
    const cluster = await startBenchCluster({ dataDir: join(dataDir, label), sealer });
    cleanup.defer(`stop ${label} cluster`, () => cluster.stop());
    const target: Target = {
      label,
      kind: 'cluster',
      urls: cluster.urls,
      keys: Array.from({ length: keyCount }, (_, i) => ({
        name: `bench-key-${String(i).padStart(4, '0')}`,
        value: undefined,
        version: undefined,
      })),
    };
    // Seeding is a bounded create run: exactly one POST per key, every answer checked.
    const seeded = await runLoadInWorker({
      ...spec('v1-create', target, 8, 0),
      warmupMs: 0,
      durationMs: 60_000,
      maxRequests: keyCount,
    });
    if (Object.keys(seeded.errors).length > 0 || seeded.keys.some((key) => key.version !== 1)) {
      throw new Error(`seeding the ${label} cluster failed: ${JSON.stringify(seeded.errors)}`);
    }
    target.keys = seeded.keys;
    targets.push(target);
  }

  const groups: MeasuredGroup[] = [];
  for (const [operation, kind] of [
    ['PUT', 'v1-put'],
    ['GET', 'v1-get'],
  ] as const) {
    for (const conc of options.concurrencies) {
      progress(
        `${operation} at concurrency ${conc}: ${SLICES} interleaved slices of ${targets.length} targets`,
      );
      const slices = new Map<string, LoadResult[]>(targets.map((target) => [target.label, []]));
      for (let slice = 0; slice < SLICES; slice++) {
        const shift = slice % targets.length;
        for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
          const result = await runLoadInWorker(
            spec(target.kind === 'loopback' ? 'http-get' : kind, target, conc, slice),
          );
          target.keys = result.keys;
          slices.get(target.label)!.push(result);
        }
      }
      const [baseline, ...clusters] = targets.map((target) =>
        pooled(
          target.kind === 'loopback' ? 'HTTP GET' : operation,
          target.label,
          conc,
          slices.get(target.label)!,
        ),
      );
      groups.push({ operation, concurrency: conc, baseline: baseline!, rows: clusters });
    }
  }
  progress('envelope sealer alone (seal/open of one shard)');
  const sealerMicro = await measureEnvelopeSealer(dataDir, keyFile);
  return {
    groups,
    mainTarget: 'envelope',
    ...(options.plainBaseline ? { plainTarget: 'plain' } : {}),
    slices: SLICES,
    sealerMicro,
  };
}
