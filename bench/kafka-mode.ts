// Kafka mode: PUT and GET against 3 `dsv server` processes on a local Kafka broker, interleaved in time with
// three baselines measured in the same run — one mutual-TLS loopback round trip (the unit of a peer call), one
// plain HTTP round trip (the embedded mode's unit) and, beside the PUTs, one raw Kafka produce with acks=all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanupStack } from './cleanup.ts';
import { SLICES } from './embedded-mode.ts';
import { startHttpsLoopbackServer } from './https-loopback-server.ts';
import { startKafkaBenchCluster } from './kafka-cluster.ts';
import { runLoadInWorker } from './load-in-worker.ts';
import type { LoadResult } from './load.ts';
import { startLoopbackServer } from './loopback-server.ts';
import { pooled, type MeasuredGroup, type Operation } from './measurement.ts';
import type { BenchOptions } from './options.ts';
import { openProduceLog, runProduceLoad } from './produce-load.ts';
import type { RunFigures } from './results.ts';
import type { KeyState, WorkloadKind, WorkloadSpec } from './workload.ts';

const USER = 'bench';
const VALUE_BYTES = 100;
const MAX_REQUESTS = 1_000_000;
const REQUEST_TIMEOUT_MS = 10_000;
const RESLICE_WARMUP_MS = 250;
export const KAFKA_TARGET = 'kafka-3proc';
export const PRODUCE_TARGET = 'kafka-produce';
export const HTTP_TARGET = 'http-loopback';
export const HTTPS_TARGET = 'https-loopback';

/** One measured target: how to run one slice of it, and which operation its rows report. */
interface Target {
  readonly label: string;
  readonly operation: (group: 'GET' | 'PUT') => Operation;
  readonly inGroup: (group: 'GET' | 'PUT') => boolean;
  run(kind: WorkloadKind, concurrency: number, slice: number): Promise<LoadResult>;
}

export async function runKafkaMode(
  options: BenchOptions,
  cleanup: CleanupStack,
  progress: (line: string) => void,
): Promise<RunFigures> {
  const timing = (slice: number) => ({
    warmupMs: slice === 0 ? options.warmupMs : Math.min(options.warmupMs, RESLICE_WARMUP_MS),
    durationMs: options.durationMs / SLICES,
    maxRequests: MAX_REQUESTS,
  });
  const spec = (kind: WorkloadKind, origins: string[], keys: KeyState[], conc: number, slice: number) =>
    ({
      kind,
      origins,
      concurrency: conc,
      ...timing(slice),
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      user: USER,
      keys,
      valueBytes: VALUE_BYTES,
    }) satisfies WorkloadSpec;

  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-bench-kafka-'));
  cleanup.defer('remove temp data', () => rmSync(dataDir, { recursive: true, force: true }));
  const http = await startLoopbackServer();
  cleanup.defer('stop loopback server', () => http.close());
  const https = await startHttpsLoopbackServer();
  cleanup.defer('stop https loopback server', () => https.close());
  progress('starting 1 Kafka broker and 3 dsv server processes (mutual TLS between them)');
  const began = Date.now();
  const cluster = await startKafkaBenchCluster({ dataDir, cleanup, progress });
  progress(
    `cluster ready in ${((Date.now() - began) / 1000).toFixed(1)} s (pids ${cluster.pids.join(', ')})`,
  );
  const produceLog = await openProduceLog(cluster.bootstrap);
  cleanup.defer('close the produce baseline log', () => produceLog.close());

  const keyCount = Math.max(64, ...options.concurrencies);
  let keys: KeyState[] = Array.from({ length: keyCount }, (_, i) => ({
    name: `bench-key-${String(i).padStart(4, '0')}`,
    value: undefined,
    version: undefined,
  }));
  const seeded = await runLoadInWorker({
    ...spec('v1-create', cluster.urls, keys, 8, 0),
    warmupMs: 0,
    durationMs: 60_000,
    maxRequests: keyCount,
  });
  if (Object.keys(seeded.errors).length > 0 || seeded.keys.some((key) => key.version !== 1)) {
    throw new Error(`seeding the Kafka cluster failed: ${JSON.stringify(seeded.errors)}`);
  }
  keys = seeded.keys;

  const always = () => true;
  const targets: Target[] = [
    {
      label: HTTPS_TARGET,
      operation: () => 'HTTPS GET',
      inGroup: always,
      run: (_kind, conc, slice) =>
        runLoadInWorker({ ...spec('http-get', [https.url], [], conc, slice), tls: https.clientTls }),
    },
    {
      label: HTTP_TARGET,
      operation: () => 'HTTP GET',
      inGroup: always,
      run: (_kind, conc, slice) => runLoadInWorker(spec('http-get', [http.url], [], conc, slice)),
    },
    {
      label: KAFKA_TARGET,
      operation: (group) => group,
      inGroup: always,
      run: async (kind, conc, slice) => {
        const result = await runLoadInWorker(spec(kind, cluster.urls, keys, conc, slice));
        keys = result.keys;
        return result;
      },
    },
    {
      label: PRODUCE_TARGET,
      operation: () => 'PRODUCE',
      // What a write orders through; a read appends nothing.
      inGroup: (group) => group === 'PUT',
      run: (_kind, conc, slice) =>
        runProduceLoad(produceLog, { concurrency: conc, ...timing(slice), valueBytes: VALUE_BYTES }),
    },
  ];

  const groups: MeasuredGroup[] = [];
  for (const [operation, kind] of [
    ['PUT', 'v1-put'],
    ['GET', 'v1-get'],
  ] as const) {
    const members = targets.filter((target) => target.inGroup(operation));
    for (const conc of options.concurrencies) {
      progress(
        `${operation} at concurrency ${conc}: ${SLICES} interleaved slices of ${members.length} targets`,
      );
      const slices = new Map<string, LoadResult[]>(members.map((target) => [target.label, []]));
      for (let slice = 0; slice < SLICES; slice++) {
        const shift = slice % members.length;
        for (const target of [...members.slice(shift), ...members.slice(0, shift)]) {
          slices.get(target.label)!.push(await target.run(kind, conc, slice));
        }
      }
      const [baseline, ...rows] = members.map((target) =>
        pooled(target.operation(operation), target.label, conc, slices.get(target.label)!),
      );
      groups.push({ operation, concurrency: conc, baseline: baseline!, rows });
    }
  }
  return {
    groups,
    mainTarget: KAFKA_TARGET,
    slices: SLICES,
    baselineLabel: 'HTTPS RTT',
    divisors: [
      { target: PRODUCE_TARGET, label: 'Kafka produce' },
      { target: HTTP_TARGET, label: 'HTTP RTT' },
    ],
  };
}
