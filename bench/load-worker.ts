// Worker-thread entry: runs one bounded load so the client has its own event loop, apart from the servers.
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad } from './load.ts';
import type { WorkloadSpec } from './workload.ts';

const result = await runLoad(workerData as WorkloadSpec);
parentPort?.postMessage(result);
