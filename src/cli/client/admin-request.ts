// I-T4 bootstrap, the future tenant admin's side: a token made on this machine and the per-node verifiers of
// it (I-G3) for root to record. Root never sees the token, so root holds no credential of the tenant's admin.
import { newToken } from '../../control/index.ts';
import { tokenVerifiers } from '../../trust/index.ts';

export interface AdminRequest {
  /** Keep this: the tenant admin's token, shown once. */
  readonly token: string;
  /** Give this to root (`dsv tenant bootstrap <tenant> --verifiers …`): nothing in it opens anything. */
  readonly verifiers: Record<string, string>;
}

interface Topology {
  readonly clusterId: string;
  readonly nodes: ReadonlyArray<{ readonly nodeId: string }>;
}

/** `url`: any node's public URL; the topology route needs no token (client-side mode derives from it too). */
export async function makeAdminRequest(url: string, fetchImpl: typeof fetch = fetch): Promise<AdminRequest> {
  const response = await fetchImpl(`${url.replace(/\/+$/, '')}/v2/client-side/topology`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`the cluster's topology: HTTP ${response.status}`);
  const topology = (await response.json()) as Topology;
  const token = newToken();
  const nodeIds = topology.nodes.map((node) => node.nodeId);
  return { token, verifiers: tokenVerifiers(token, topology.clusterId, nodeIds) };
}
