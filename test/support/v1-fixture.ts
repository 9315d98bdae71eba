// One dev cluster per v1 test file: started in `before`, ready for writes (membership settled), stopped in `after`.
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { startTestCluster, type TestCluster } from './dev-cluster.ts';

export interface V1Fixture {
  /** The public URL of node `i` (taken modulo the node count, so flows can spread with `node(i)`). */
  node(i: number): string;
  readonly urls: readonly string[];
  /** The running test cluster (for dev control: stopping and starting nodes). */
  readonly started: TestCluster;
}

/** Polls `/api/v1/cluster/status` on every node until each one sees all nodes healthy. */
export async function waitForMembership(urls: readonly string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const figures = await Promise.all(
      urls.map(async (url) => {
        try {
          const response = await fetch(`${url}/api/v1/cluster/status`);
          return (await response.json()) as { healthyNodes?: number };
        } catch {
          return {};
        }
      }),
    );
    if (figures.every((figure) => figure.healthyNodes === urls.length)) return;
    if (Date.now() > deadline) throw new Error(`membership did not settle: ${JSON.stringify(figures)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Registers the before/after hooks of a file-level cluster; use it inside the file's top `describe`. */
export function useV1Cluster(options: { nodes?: number } = {}): V1Fixture {
  let started: TestCluster | undefined;
  before(async () => {
    started = await startTestCluster({ nodes: options.nodes ?? 3 });
    await waitForMembership(started.urls);
  });
  after(async () => {
    await started?.stop();
  });
  const running = (): TestCluster => {
    if (!started) throw new Error('the cluster is not started (use the fixture inside a test)');
    return started;
  };
  const urls = (): readonly string[] => running().urls;
  return {
    node: (i) => {
      const all = urls();
      return all[i % all.length] ?? '';
    },
    get urls() {
      return urls();
    },
    get started() {
      return running();
    },
  };
}

/** A namespace no other test uses, so tests stay independent on a shared cluster. */
export function uniqueUser(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}
