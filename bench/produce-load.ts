// The ordering baseline: the raw cost of one Kafka produce with acks=all through the adapter DSV uses
// (KafkaCommitLog.append: idempotent producer, @platformatic/kafka), on a bench topic of its own.
import { performance } from 'node:perf_hooks';
import { KafkaCommitLog } from '../src/log/kafka/kafka-commit-log.ts';
import type { LoadResult } from './load.ts';
import { freshValue } from './workload.ts';

export const PRODUCE_TOPIC = 'dsv-bench-produce';

export interface ProduceRun {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  readonly valueBytes: number;
}

const open = (bootstrap: readonly string[]): Promise<KafkaCommitLog> =>
  KafkaCommitLog.open({
    bootstrap,
    topic: PRODUCE_TOPIC,
    partitionCount: 1,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    clientId: 'dsv-bench',
    appendTimeoutMs: 10_000,
  });

/**
 * One partition, same replication settings as the node topic, so an append costs what an intent's does. A
 * topic created a moment ago may have no leader yet, and a producer whose first sends failed can stay broken
 * (seen once: every later append timed out), so the log counts as open only after an append succeeded;
 * until then it is reopened, for at most `readyMs`.
 */
export async function openProduceLog(
  bootstrap: readonly string[],
  readyMs = 60_000,
): Promise<KafkaCommitLog> {
  const deadline = Date.now() + readyMs;
  for (;;) {
    const log = await open(bootstrap);
    try {
      await log.append(0, 'bench-ready', Buffer.from('ready'));
      return log;
    } catch (error) {
      await log.close();
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * A closed loop of `concurrency` appenders for warm-up + duration, like the HTTP load generator: a latency is
 * from just before `append` to its acknowledgement; only acks inside the measured window count.
 */
export async function runProduceLoad(log: KafkaCommitLog, run: ProduceRun): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  const start = performance.now();
  const measureFrom = start + run.warmupMs;
  const measureTo = measureFrom + run.durationMs;
  let issued = 0;
  let okInWindow = 0;
  // Record-sized like an intent: a key and a small payload (records never carry values, DESIGN §5).
  const payload = Buffer.from(freshValue(run.valueBytes));
  const appender = async (): Promise<void> => {
    while (performance.now() < measureTo && issued < run.maxRequests) {
      const n = issued++;
      const began = performance.now();
      try {
        await log.append(0, `bench-${n % 64}`, payload);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const label = `produce: ${typeof code === 'string' ? code : 'error'}`;
        errors[label] = (errors[label] ?? 0) + 1;
        continue;
      }
      const ended = performance.now();
      if (ended >= measureFrom && ended <= measureTo) {
        latenciesMs.push(ended - began);
        okInWindow += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, () => appender()));
  const measuredMs = Math.max(0, Math.min(performance.now(), measureTo) - measureFrom);
  return { latenciesMs, measuredMs, okInWindow, issued, errors, keys: [] };
}
