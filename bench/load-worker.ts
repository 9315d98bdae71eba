// Worker-thread entry: runs bounded loads, one per message, so the client has its own event loop, apart from
// the servers. The thread is kept between runs (load-in-worker.ts): starting one costs about 0.2 s.
import { parentPort } from 'node:worker_threads';
import { runLoad } from './load.ts';
import type { WorkloadSpec } from './workload.ts';

parentPort?.on('message', (spec: WorkloadSpec) => {
  runLoad(spec).then(
    (result) => parentPort?.postMessage({ result }),
    (error: unknown) =>
      parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
});
