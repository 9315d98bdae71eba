// Starts a real in-process 3-node dev cluster (embedded log, SQLite, HTTP on loopback) for the bench.
import { DevCluster } from '../src/node/dev-cluster.ts';
import { createLogger } from '../src/node/logger.ts';
import type { SealerFactory } from '../src/node/sealers.ts';
import { freePortRange } from '../src/platform/free-ports.ts';

export interface BenchCluster {
  readonly urls: string[];
  /** A root token of this cluster (`dsv dev` prints one the same way), for the v2 API. */
  readonly token: string;
  /** Read-only group-commit counters of its nodes, where they are reachable (see `syncCounters`). */
  readonly cluster: DevCluster;
  stop(): Promise<void>;
}

async function healthyEverywhere(urls: readonly string[], nodes: number): Promise<boolean> {
  const figures = await Promise.all(
    urls.map(async (url) => {
      const response = await fetch(`${url}/api/v1/cluster/status`);
      return (await response.json()) as { healthyNodes?: number };
    }),
  );
  return figures.every((figure) => figure.healthyNodes === nodes);
}

/** Ready means every node sees every peer healthy; a cluster that is not ready in `readyMs` is stopped. */
export async function startBenchCluster(options: {
  readonly dataDir: string;
  readonly sealer: SealerFactory;
  readonly nodes?: number;
  readonly readyMs?: number;
}): Promise<BenchCluster> {
  const nodes = options.nodes ?? 3;
  const cluster = await DevCluster.start({
    nodes,
    basePort: await freePortRange(nodes),
    peerBasePort: await freePortRange(nodes),
    dataDir: options.dataDir,
    logger: createLogger({ level: 'silent' }),
    sealer: options.sealer,
  });
  const urls = cluster.urls();
  const deadline = Date.now() + (options.readyMs ?? 20_000);
  try {
    while (!(await healthyEverywhere(urls, nodes))) {
      if (Date.now() > deadline)
        throw new Error(`cluster not healthy within ${options.readyMs ?? 20_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const token = await cluster.issueDevRootToken();
    return { urls, token, cluster, stop: () => cluster.stop() };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
