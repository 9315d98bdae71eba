// Runs the load generator in a worker thread: the servers under test keep the main event loop to themselves,
// so what is measured is their cost, not the client's (the machine has 2 cores: one each). One thread serves
// the runs one after the other (a run's slices are many short runs; starting a thread for each cost about
// 0.2 s of the bench's budget each time); a run that overruns its bounds terminates it, and the next run
// starts a new one.
import { Worker } from 'node:worker_threads';
import type { LoadResult } from './load.ts';
import type { WorkloadSpec } from './workload.ts';

/** The thread between runs, unreferenced (it never holds the process open), or undefined. */
let idle: Worker | undefined;

type Answer = { result: LoadResult } | { error: string };

function startWorker(): Worker {
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url));
  // Between runs nobody listens: an idle thread that fails is only forgotten (a run has its own listeners).
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    if (idle === worker) idle = undefined;
  });
  return worker;
}

/** Rejects, and stops the worker, if the run takes longer than its own bounds allow plus `graceMs`. */
export async function runLoadInWorker(spec: WorkloadSpec, graceMs = 15_000): Promise<LoadResult> {
  const limitMs = spec.warmupMs + spec.durationMs + spec.requestTimeoutMs + graceMs;
  const worker = idle ?? startWorker();
  idle = undefined;
  worker.ref();
  return new Promise<LoadResult>((resolve, reject) => {
    const onMessage = (answer: Answer) =>
      settle(true, () => ('result' in answer ? resolve(answer.result) : reject(new Error(answer.error))));
    const onError = (error: Error) => settle(false, () => reject(error));
    const onExit = (code: number) =>
      settle(false, () => reject(new Error(`load worker exited with ${code}`)));
    const timer = setTimeout(() => {
      settle(false, () => reject(new Error(`load run exceeded ${limitMs} ms; stopped`)));
    }, limitMs);
    let settled = false;
    function settle(reusable: boolean, outcome: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (reusable && idle === undefined) {
        worker.unref();
        idle = worker;
      } else {
        void worker.terminate();
      }
      outcome();
    }
    worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    worker.postMessage(spec);
  });
}
