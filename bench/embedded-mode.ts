// Embedded mode: issue 10's v2 workloads (and optionally v1 PUT and GET) against real in-process 3-node
// clusters (envelope encryption as in `dsv dev`, and a pass-through sealer to price it), each interleaved in
// time with a loopback HTTP baseline; after each group, the sync calls per operation counted with strace.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevKeyFile, envelopeSealer, type SealerFactory } from '../src/node/sealers.ts';
import type { DevCluster } from '../src/node/dev-cluster.ts';
import type { CleanupStack } from './cleanup.ts';
import { startBenchCluster } from './embedded-cluster.ts';
import { countSyncCalls, straceUnavailable, type SyncCalls } from './fsync-count.ts';
import { runLoadInWorker } from './load-in-worker.ts';
import type { LoadResult } from './load.ts';
import { startLoopbackServer } from './loopback-server.ts';
import { pooled, type MeasuredGroup } from './measurement.ts';
import { clientSideGroups, WORKLOADS, type BenchOptions } from './options.ts';
import { plainSealerFactory } from './plain-sealer.ts';
import type { RunFigures } from './results.ts';
import { measureEnvelopeSealer } from './sealer-micro.ts';
import {
  readInProcessSyncs,
  syncsBetween,
  type InProcessSyncs,
  type SyncCount,
  type SyncFigures,
} from './sync-counters.ts';
import {
  benchKeys,
  CLIENT_SIDE_KIND,
  type KeyState,
  type WorkloadKind,
  type WorkloadSpec,
} from './workload.ts';

const USER = 'bench';
/**
 * Keys created before the groups; update, read and mixed use them. `../shared/perf` seeds 1,000; 256 keeps
 * seeding short (the run stays under 3 minutes) and still gives each of 32 workers 8 keys of its own.
 */
export const KEYS = 256;
const VALUE_BYTES = 100;
const MAX_REQUESTS = 1_000_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Each row is measured in this many slices, rotating which target goes first (drift hits all alike). */
export const SLICES = 4;
/** Warm-up of the later slices: enough to reopen keep-alive connections, the code is already warm. */
const RESLICE_WARMUP_MS = 250;

/** Operations of one counting pass: 200 at c=1, 10 per worker above (320 at c=32). */
export const countedOperations = (concurrency: number): number => Math.max(200, 10 * concurrency);
/** The idle pass: sync calls with no request at all, for what the background costs. */
const IDLE_MS = 2_000;

/** The row label of the envelope cluster driven through the client library (client-side split and combine). */
export const CLIENT_SIDE_TARGET = 'client-side';

interface Target {
  readonly label: string;
  /** `client-side`: the envelope cluster through the client library, on keys of its own. */
  readonly kind: 'loopback' | 'cluster' | 'client-side';
  readonly urls: string[];
  readonly token?: string;
  keys: KeyState[];
}

export async function runEmbeddedMode(
  options: BenchOptions,
  cleanup: CleanupStack,
  progress: (line: string) => void,
): Promise<RunFigures> {
  const spec = (
    kind: WorkloadKind,
    target: Target,
    concurrency: number,
    slice: number | 'count' | 'seed',
  ): WorkloadSpec => ({
    kind,
    origins: target.urls,
    concurrency,
    warmupMs:
      slice === 0 || slice === 'seed' ? options.warmupMs : Math.min(options.warmupMs, RESLICE_WARMUP_MS),
    durationMs: options.durationMs / SLICES,
    maxRequests: MAX_REQUESTS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    user: USER,
    keys: target.keys,
    valueBytes: VALUE_BYTES,
    ...(target.token === undefined ? {} : { token: target.token }),
    // The create rows make fresh keys, unique per row and slice; seeding creates `keys`.
    ...((kind === 'v2-create' || kind === 'cs-create') && slice !== 'seed'
      ? { createPrefix: `new-${target.label}-c${concurrency}-${slice}-` }
      : {}),
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
  const keyCount = Math.max(KEYS, ...options.workloads.flatMap((workload) => workload.concurrencies));
  const joined = clientSideGroups(options);
  // Enough for a worker of its own per update at the highest concurrency, and two keys each for reads.
  const clientSideKeyCount = 2 * Math.max(...options.workloads.flatMap((workload) => workload.concurrencies));
  /** Seeding is a bounded create run: exactly one create per key, every answer checked. */
  const seed = async (target: Target, kind: 'v2-create' | 'cs-create') => {
    const began = Date.now();
    const seeded = await runLoadInWorker({
      ...spec(kind, target, 32, 'seed'),
      warmupMs: 0,
      durationMs: 120_000,
      maxRequests: target.keys.length,
    });
    if (Object.keys(seeded.errors).length > 0 || seeded.keys.some((key) => key.version !== 1)) {
      throw new Error(`seeding the ${target.label} target failed: ${JSON.stringify(seeded.errors)}`);
    }
    progress(`seeded ${target.keys.length} keys (${kind}) in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    target.keys = seeded.keys;
  };
  const targets: Target[] = [{ label: 'loopback', kind: 'loopback', urls: [loopback.url], keys: [] }];
  const clusters: DevCluster[] = [];
  for (const [label, sealer] of sealers) {
    progress(`starting 3-node cluster (${label} at rest)`);
    const cluster = await startBenchCluster({ dataDir: join(dataDir, label), sealer });
    cleanup.defer(`stop ${label} cluster`, () => cluster.stop());
    clusters.push(cluster.cluster);
    const target: Target = {
      label,
      kind: 'cluster',
      urls: cluster.urls,
      token: cluster.token,
      keys: seededKeys('bench-key-', keyCount),
    };
    await seed(target, 'v2-create');
    targets.push(target);
    if (label !== 'envelope' || joined.size === 0) continue;
    // The same cluster through the client library, on keys of its own (the server-side rows know theirs).
    const clientSide: Target = {
      label: CLIENT_SIDE_TARGET,
      kind: 'client-side',
      urls: cluster.urls,
      token: cluster.token,
      keys: seededKeys('bench-cs-key-', clientSideKeyCount),
    };
    await seed(clientSide, 'cs-create');
    targets.push(clientSide);
  }
  const main = targets.find((target) => target.label === 'envelope')!;
  let notCounted = options.countFsyncs ? straceUnavailable() : '--no-fsyncs';
  const counts: SyncCount[] = [];

  const groups: MeasuredGroup[] = [];
  for (const workload of options.workloads) {
    const { kind, label: operation } = WORKLOADS[workload.name];
    for (const conc of workload.concurrencies) {
      // The client-side target joins the groups clientSideGroups names (never mixed or v1: no counterpart).
      const clientSideKind = CLIENT_SIDE_KIND[kind];
      const inGroup = targets.filter(
        (target) =>
          target.kind !== 'client-side' || (clientSideKind && joined.has(`${workload.name}@${conc}`)),
      );
      const kindOf = (target: Target): WorkloadKind =>
        target.kind === 'loopback' ? 'http-get' : target.kind === 'client-side' ? clientSideKind! : kind;
      progress(
        `${operation} at concurrency ${conc}: ${SLICES} interleaved slices of ${inGroup.length} targets`,
      );
      const slices = new Map<string, LoadResult[]>(inGroup.map((target) => [target.label, []]));
      for (let slice = 0; slice < SLICES; slice++) {
        const shift = slice % inGroup.length;
        for (const target of [...inGroup.slice(shift), ...inGroup.slice(0, shift)]) {
          const result = await runLoadInWorker(spec(kindOf(target), target, conc, slice));
          target.keys = result.keys;
          slices.get(target.label)!.push(result);
        }
      }
      const [baseline, ...clusterRows] = inGroup.map((target) =>
        pooled(
          target.kind === 'loopback' ? 'HTTP GET' : operation,
          target.label,
          conc,
          slices.get(target.label)!,
        ),
      );
      groups.push({ operation, concurrency: conc, baseline: baseline!, rows: clusterRows });
      if (notCounted !== undefined) continue;
      // After the measured slices, never during them: tracing stops every thread at every system call.
      const operations = countedOperations(conc);
      progress(`counting sync calls of ${operations} × ${operation} at concurrency ${conc} (strace)`);
      try {
        const count = await countPass(join(dataDir, 'strace.txt'), clusters, () =>
          runLoadInWorker({
            ...spec(kind, main, conc, 'count'),
            warmupMs: 0,
            durationMs: 120_000,
            maxRequests: operations,
          }),
        );
        main.keys = count.result.keys;
        counts.push({
          operation,
          concurrency: conc,
          operations: count.result.issued,
          seconds: count.seconds,
          calls: count.calls,
          inProcess: count.inProcess,
          errors: count.result.errors,
        });
      } catch (error) {
        notCounted = error instanceof Error ? error.message : String(error);
      }
    }
  }
  let idle: SyncFigures['idle'];
  if (notCounted === undefined) {
    progress(`counting sync calls with no requests for ${IDLE_MS / 1000} s (strace)`);
    const pass = await countPass(join(dataDir, 'strace.txt'), clusters, () => sleep(IDLE_MS)).catch(
      (error: unknown) => {
        notCounted = error instanceof Error ? error.message : String(error);
        return undefined;
      },
    );
    if (pass) idle = { seconds: pass.seconds, calls: pass.calls, inProcess: pass.inProcess };
  }
  progress('envelope sealer alone (seal/open of one shard)');
  const sealerMicro = await measureEnvelopeSealer(dataDir, keyFile);
  return {
    groups,
    mainTarget: 'envelope',
    ...(options.plainBaseline ? { plainTarget: 'plain' } : {}),
    ...(joined.size > 0 ? { clientSideTarget: CLIENT_SIDE_TARGET } : {}),
    slices: SLICES,
    sealerMicro,
    syncs: {
      target: main.label,
      counts,
      ...(idle ? { idle } : {}),
      ...(notCounted === undefined ? {} : { notCounted }),
    },
  };
}

/** Seeded keys: `<prefix>0000`, `<prefix>0001`, … */
const seededKeys = (prefix: string, count: number): KeyState[] =>
  benchKeys(count, (i) => `${prefix}${String(i).padStart(4, '0')}`);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One strace pass around `load`, with DSV's own sync counters read before and after it. */
async function countPass<T>(
  summaryFile: string,
  clusters: readonly DevCluster[],
  load: () => Promise<T>,
): Promise<{ result: T; calls: SyncCalls; inProcess: InProcessSyncs; seconds: number }> {
  let before = readInProcessSyncs(clusters);
  let began = 0;
  let ended = 0;
  const { calls, result } = await countSyncCalls(summaryFile, async () => {
    before = readInProcessSyncs(clusters);
    began = performance.now();
    try {
      return await load();
    } finally {
      ended = performance.now();
    }
  });
  const inProcess = syncsBetween(before, readInProcessSyncs(clusters));
  return { result, calls, inProcess, seconds: (ended - began) / 1000 };
}
