// `dsv status`: one node's view of the cluster — every node's health, applied log offsets and lag — as a
// table, or as JSON with --json. Reads GET /api/v1/cluster/nodes and /api/v1/cluster/status.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Agent, fetch as undiciFetch } from 'undici';
import { DsvError } from '../../errors/index.ts';
import { reportAndExit } from '../admin-client.ts';
import { usesClientSide, resolveConnection } from '../client/connection.ts';
import { modeLine } from './login-command.ts';
import { unreachable } from '../client/unreachable.ts';

interface PeerRow {
  nodeId: string;
  health: string;
  lastSeenMs: number | null;
  applied: number[] | null;
  lag: number[] | null;
  ready?: Readiness | null;
}

/** A node's readiness as /readyz computes it (issue 11): not ready names the failing checks. */
interface Readiness {
  ready: boolean;
  reasons: string[];
}

const readyCell = (ready: Readiness | null | undefined): string =>
  ready === null || ready === undefined
    ? '-'
    : ready.ready
      ? 'ready'
      : `NOT READY (${ready.reasons.join(', ')})`;

interface NodeStatusBody {
  nodeId: string;
  sharing: { n: number; k: number; w: number; r: number };
  applied: number[];
  ready?: Readiness | null;
  liveSecrets?: number;
  shards?: Record<string, number>;
  peers: PeerRow[];
}

async function getJson(url: URL, dispatcher: Agent | undefined, token?: string): Promise<unknown> {
  let response;
  try {
    response = await undiciFetch(url, {
      signal: AbortSignal.timeout(10_000),
      ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
      ...(dispatcher ? { dispatcher } : {}),
    });
  } catch (error) {
    throw unreachable(url.origin, error);
  }
  if (!response.ok)
    throw new DsvError('DSV_NODE_UNAVAILABLE', `${url.href} answered HTTP ${response.status}`);
  return response.json();
}

const sum = (values: readonly number[] | null): string =>
  values === null ? '-' : String(values.reduce((total, value) => total + value, 0));

function ago(ms: number | null, now: number): string {
  return ms === null ? 'never' : `${((now - ms) / 1000).toFixed(1)}s ago`;
}

/** Plain fixed-width columns: readable in any terminal and easy to grep. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("a node's view of the cluster: each node's health, applied log offsets and lag")
    .option('--url <url>', 'any node of the cluster (public API; default: DSV_URL, the login, or :8080)')
    .option('--token <token>', 'API token (default: DSV_TOKEN, or the stored login)')
    .option('--ca <file>', 'CA certificate to trust when the public API serves TLS (e.g. ca/ca.crt)')
    .option('--json', 'machine-readable output')
    .action(async (given: { url?: string; token?: string; ca?: string; json?: boolean }) => {
      const { url, token } = resolveConnection(given); // the logged-in cluster unless told otherwise
      const options = { ...given, url };
      const dispatcher = options.ca ? new Agent({ connect: { ca: readFileSync(options.ca) } }) : undefined;
      try {
        const [status, figures] = (await Promise.all([
          getJson(new URL('/api/v1/cluster/nodes', options.url), dispatcher, token),
          getJson(new URL('/api/v1/cluster/status', options.url), dispatcher, token),
        ])) as [NodeStatusBody, { totalNodes: number; healthyNodes: number }];
        const clientSide = usesClientSide(given);
        if (options.json) {
          const mode = clientSide ? 'client-side' : 'server-side';
          console.log(JSON.stringify({ url: options.url, mode, cluster: figures, node: status }, null, 2));
          return;
        }
        const now = Date.now();
        const { n, k, w } = status.sharing;
        console.log(
          `seen from ${status.nodeId} (${options.url}): ${figures.healthyNodes}/${figures.totalNodes} nodes healthy; n=${n} k=${k} W=${w}`,
        );
        const rows: string[][] = [
          ['NODE', 'HEALTH', 'READINESS', 'APPLIED', 'LAG', 'LAST SEEN', 'APPLIED PER PARTITION'],
          [
            status.nodeId,
            'self',
            readyCell(status.ready),
            sum(status.applied),
            '0',
            '-',
            status.applied.join(','),
          ],
          ...status.peers.map((peer) => [
            peer.nodeId,
            peer.health,
            readyCell(peer.ready),
            sum(peer.applied),
            sum(peer.lag),
            ago(peer.lastSeenMs, now),
            peer.applied?.join(',') ?? '-',
          ]),
        ];
        console.log(renderTable(rows));
        console.log(
          `LAG = records ${status.nodeId} has applied that the node had not at its last health answer`,
        );
        console.log(`mode: ${modeLine(clientSide)}`);
      } catch (error) {
        reportAndExit(error);
      } finally {
        await dispatcher?.close();
      }
    });
}
