// One dev cluster per v1 test file: started in `before`, ready for writes (membership settled), stopped in `after`
// — or, once `shareV1Target` was called, one shared cluster of another kind (e.g. `dsv dev --kafka`) for them all.
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { startTestCluster, type TestCluster } from './dev-cluster.ts';

export interface V1Fixture {
  /** The public URL of node `i` (taken modulo the node count, so flows can spread with `node(i)`). */
  node(i: number): string;
  readonly urls: readonly string[];
  /** The running test cluster (for dev control: stopping and starting nodes); only on the embedded target. */
  readonly started: TestCluster;
}

/** A running cluster the v1 suites can target: its nodes' public URLs, and the in-process cluster if any. */
export interface V1Target {
  readonly urls: readonly string[];
  readonly started?: TestCluster;
}

let sharedTarget: { start: () => Promise<V1Target>; running?: Promise<V1Target> } | undefined;

/**
 * From now on, every `useV1Cluster()` in this process uses one cluster started by `start` (lazily, once) instead
 * of an in-process dev cluster per `describe`, so the same v1 suites run unchanged against another target.
 * Register it before the suites are imported; the caller owns the target and stops it (e.g. in a root `after`).
 * Returns the started target.
 */
export function shareV1Target(start: () => Promise<V1Target>): () => Promise<V1Target> {
  const shared: { start: () => Promise<V1Target>; running?: Promise<V1Target> } = { start };
  sharedTarget = shared;
  return () => (shared.running ??= shared.start());
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
export function useV1Cluster(
  options: {
    nodes?: number;
    /** How long a write may stay pending before log time aborts it (test clusters: 3 s; see dev-cluster.ts). */
    pendingWriteMs?: number;
  } = {},
): V1Fixture {
  const shared = sharedTarget;
  let target: V1Target | undefined;
  before(async () => {
    if (shared) {
      target = await (shared.running ??= shared.start());
      return;
    }
    const started = await startTestCluster({
      nodes: options.nodes ?? 3,
      ...(options.pendingWriteMs === undefined ? {} : { pendingWriteMs: options.pendingWriteMs }),
    });
    target = { urls: started.urls, started };
    await waitForMembership(started.urls);
  });
  after(async () => {
    if (!shared) await target?.started?.stop();
  });
  const running = (): V1Target => {
    if (!target) throw new Error('the cluster is not started (use the fixture inside a test)');
    return target;
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
      const started = running().started;
      if (!started) throw new Error('this target is not an in-process cluster (no dev control)');
      return started;
    },
  };
}

/** A namespace no other test uses, so tests stay independent on a shared cluster. */
export function uniqueUser(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}
