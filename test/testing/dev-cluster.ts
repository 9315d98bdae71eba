// Starts a real in-process dev cluster (embedded log, SQLite, HTTP on loopback) in a temp dir for a test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevCluster, type DevClusterOptions } from '../../src/node/dev-cluster.ts';
import { createLogger } from '../../src/node/logger.ts';
import { ensureDevKeyFile, envelopeSealer } from '../../src/node/sealers.ts';
import { freePortRange } from './free-ports.ts';
import { waitFor } from './wait.ts';

export interface TestCluster {
  readonly cluster: DevCluster;
  readonly urls: string[];
  readonly dataDir: string;
  /** Stops the cluster; removes its data unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export async function startTestCluster(
  options: {
    nodes?: number;
    dataDir?: string;
    pendingWriteMs?: number;
    membershipIntervalMs?: number;
    /** Seeded fault injection on peer calls (src/cluster/testing). */
    wrapPeer?: DevClusterOptions['wrapPeer'];
    /** false: production nodes (no anonymous access), for authentication tests. */
    devMode?: boolean;
    /** false: root is separated from tenant data (I-T4) as on `dsv server`; default: the dev standing approval. */
    standingApproval?: boolean;
    wrapAuditSink?: DevClusterOptions['wrapAuditSink'];
    /** Where node logs go (at `logLevel`); default: nowhere. */
    logDestination?: { write(text: string): unknown };
    logLevel?: string;
    limits?: DevClusterOptions['limits'];
    /** Proactive share refresh settings of every node (issue #9). */
    shareRefresh?: DevClusterOptions['shareRefresh'];
    /** In-process peer calls (what `dsv dev` does) or the peer API over HTTP (what separate processes do). */
    peerTransport?: DevClusterOptions['peerTransport'];
  } = {},
): Promise<TestCluster> {
  const nodes = options.nodes ?? 3;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'dsv-test-'));
  const basePort = await freePortRange(nodes);
  const peerBasePort = await freePortRange(nodes);
  const cluster = await DevCluster.start({
    nodes,
    basePort,
    peerBasePort,
    dataDir,
    logger: createLogger({
      level: options.logLevel ?? process.env.DSV_TEST_LOG_LEVEL ?? 'silent',
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    }),
    sealer: envelopeSealer({ kind: 'key-file', path: ensureDevKeyFile(join(dataDir, 'dev-kek.key')) }),
    membershipIntervalMs: options.membershipIntervalMs ?? 200,
    pendingWriteMs: options.pendingWriteMs ?? 3000,
    ...(options.devMode === undefined ? {} : { devMode: options.devMode }),
    ...(options.standingApproval === undefined ? {} : { standingApproval: options.standingApproval }),
    ...(options.wrapPeer ? { wrapPeer: options.wrapPeer } : {}),
    ...(options.wrapAuditSink ? { wrapAuditSink: options.wrapAuditSink } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.shareRefresh ? { shareRefresh: options.shareRefresh } : {}),
    ...(options.peerTransport ? { peerTransport: options.peerTransport } : {}),
  });
  // Ready means every node sees every peer healthy, as a user waiting for `ready` would expect.
  await waitFor(async () => {
    const figures = await Promise.all(
      cluster
        .urls()
        .map(
          async (url) =>
            (await (await fetch(`${url}/api/v1/cluster/status`)).json()) as { healthyNodes: number },
        ),
    );
    return figures.every((figure) => figure.healthyNodes === nodes);
  }, 10_000);
  return {
    cluster,
    urls: cluster.urls(),
    dataDir,
    stop: async ({ keepData = false } = {}) => {
      await cluster.stop();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
