// Runs the load generator in a worker thread: the servers under test keep the main event loop to themselves,
// so what is measured is their cost, not the client's (the machine has 2 cores: one each).
import { Worker } from 'node:worker_threads';
import type { LoadResult } from './load.ts';
import type { WorkloadSpec } from './workload.ts';

/** Rejects, and stops the worker, if the run takes longer than its own bounds allow plus `graceMs`. */
export async function runLoadInWorker(spec: WorkloadSpec, graceMs = 15_000): Promise<LoadResult> {
  const limitMs = spec.warmupMs + spec.durationMs + spec.requestTimeoutMs + graceMs;
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: spec });
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`load run exceeded ${limitMs} ms; stopped`)));
      void worker.terminate();
    }, limitMs);
    worker.once('message', (result: LoadResult) => settle(() => resolve(result)));
    worker.once('error', (error: Error) => settle(() => reject(error)));
    worker.once('exit', (code) => settle(() => reject(new Error(`load worker exited with ${code}`))));
  });
}
