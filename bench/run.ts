// `npm run bench`: parses the mode, runs it under a watchdog, prints figures with same-run ratios, cleans up.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { CleanupStack } from './cleanup.ts';
import { KEYS, runEmbeddedMode, SLICES } from './embedded-mode.ts';
import { runKafkaMode } from './kafka-mode.ts';
import { clientSideGroups, parseOptions, USAGE, type BenchOptions } from './options.ts';
import { printFigures } from './results.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const started = performance.now();
const progress = (line: string) =>
  process.stderr.write(`bench: [${((performance.now() - started) / 1000).toFixed(1)} s] ${line}\n`);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** Every slice has its own bounds; this only catches a stuck run so the bench always stops by itself. */
function watchdogMs(options: BenchOptions): number {
  const groups =
    options.mode === 'kafka'
      ? options.concurrencies.length * 2
      : options.workloads.reduce((sum, workload) => sum + workload.concurrencies.length, 0);
  // kafka: HTTPS, HTTP, the cluster and (beside PUTs) the raw produce; plus the broker and node start-up.
  const targets =
    options.mode === 'kafka'
      ? 4
      : 2 + (options.plainBaseline ? 1 : 0) + (options.clientSide === 'none' ? 0 : 1);
  // embedded: start-up and seeding, and per group a traced counting pass (slow under strace, bounded by count).
  const startMs = options.mode === 'kafka' ? 240_000 : 150_000;
  const countMs = options.mode === 'embedded' && options.countFsyncs ? 60_000 : 0;
  return startMs + groups * (countMs + targets * (options.warmupMs + options.durationMs + SLICES * 3_000));
}

/** What is measured, per mode (printed before the figures). */
function header(options: BenchOptions): string[] {
  if (options.mode === 'kafka') {
    return [
      'DSV bench — mode kafka: 1 local Kafka broker (KRaft) and 3 `dsv server` processes (dev mode, mutual TLS',
      'between nodes, topic dsv-log with 5 partitions, replication 1); load from a worker thread over keep-alive',
      'undici pools, round robin over the nodes. Baselines in the same run, interleaved: HTTPS RTT (node:https,',
      'mutual TLS, keep-alive: the unit of a peer call), HTTP RTT, and beside the PUTs one raw Kafka produce',
      '(KafkaCommitLog.append, acks=all, idempotent producer, 100 B record, a topic of its own).',
    ];
  }
  return [
    `DSV bench — mode ${options.mode}: 3-node dev cluster in this process (embedded log, SQLite, HTTP on`,
    `loopback), load from a worker thread over keep-alive undici pools, round robin over the nodes. Workloads`,
    `as ../shared/perf drives DSV (v2 API, root token): create (PUT If-None-Match: *, fresh keys), update`,
    `(unconditional PUT), read (GET), mixed (90 % read / 10 % update at random), on ${KEYS} seeded keys.`,
    ...(options.clientSide === 'none'
      ? []
      : [
          `Target client-side (issue 9): the envelope cluster through the client library (client/), on keys of`,
          `its own, in ${[...clientSideGroups(options)].join(', ')}: the value is split and combined in the load`,
          `worker, shards go to and come from the holders directly; client-side / server-side ratios below.`,
        ]),
  ];
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    out(USAGE);
    return 0;
  }
  const cleanup = new CleanupStack();
  const stopOn = (why: string, code: number) => {
    progress(`${why}; cleaning up`);
    void cleanup.runAll().finally(() => process.exit(code));
  };
  const watchdog = setTimeout(() => stopOn('watchdog: the run took too long', 3), watchdogMs(options));
  const onSignal = (signal: NodeJS.Signals) => stopOn(`got ${signal}`, 130);
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    for (const line of header(options)) out(line);
    out(
      `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load average ${load()}; ` +
        `warm-up ${options.warmupMs / 1000} s, measured ${options.durationMs / 1000} s per row in ${SLICES} slices ` +
        `interleaved with the baselines; values 100 B.`,
    );
    out('');
    const figures =
      options.mode === 'kafka'
        ? await runKafkaMode(options, cleanup, progress)
        : await runEmbeddedMode(options, cleanup, progress);
    const errors = printFigures(figures, out);
    out(
      `load average at the end ${load()}. Read the ratios, not the absolute figures: the machine is shared.`,
    );
    return errors === 0 ? 0 : 1;
  } catch (error) {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    await cleanup.runAll();
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

process.exitCode = await main();
// Everything was closed above; if a handle still holds the process, say which and stop anyway.
setTimeout(() => {
  progress(`leftover handles after cleanup: ${process.getActiveResourcesInfo().join(', ')}; exiting`);
  process.exit(process.exitCode ?? 1);
}, 5_000).unref();
