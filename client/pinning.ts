// The pinned topology (issue #9, VULN-2/VULN-3): the cluster id, sharing parameters and nodes a client trusts,
// fixed before any server answers it. Every node id a server names (coordinator, endorser, plan and resolve
// holders) must be a pinned node's, the URL called is always the pinned one for that id, and shard i of a key
// must sit on the i-th node that placement (src/kernel/placement.ts) gives over the pinned node ids: a lying
// node can neither point the client at URLs it controls nor name itself the holder of more than one shard.
import { holdersFor } from '../src/kernel/placement.ts';
import { DsvClientError } from './client-error.ts';
import type { HolderRef, NodeRef, Topology } from './wire.ts';

/** How to pin, for the messages that refuse an unpinned client. */
export const PIN_ADVICE =
  'pin the cluster topology: store what DsvClient.fetchTopology(url) answers once (over TLS, from a node you ' +
  'trust) and pass its clusterId, sharing and nodes, or log in with `dsv login`; or opt into ' +
  'trust-on-first-use with trustFirstTopology: true';

const invalid = (message: string) => new DsvClientError('DSV_INPUT_INVALID', message);

/** The pinned topology as a caller passed it, checked for shape: ids unique, URLs valid, k ≤ n ≤ nodes. */
export function checkPinnedTopology(topology: {
  readonly clusterId?: unknown;
  readonly sharing?: unknown;
  readonly nodes?: unknown;
}): Topology {
  const { clusterId, sharing, nodes } = topology;
  if (typeof clusterId !== 'string' || clusterId === '')
    throw invalid(`The pinned topology needs its clusterId: ${PIN_ADVICE}`);
  const { n, k, w } = (typeof sharing === 'object' && sharing !== null ? sharing : {}) as Record<
    string,
    unknown
  >;
  const positive = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;
  if (!positive(n) || !positive(k) || !positive(w) || k > n || w > n)
    throw invalid(`The pinned topology needs its sharing { n, k, w } (1 ≤ k, w ≤ n): ${PIN_ADVICE}`);
  if (!Array.isArray(nodes) || nodes.length < n)
    throw invalid(`The pinned topology needs at least n nodes { nodeId, url }: ${PIN_ADVICE}`);
  const pinned = nodes.map((node: unknown) => {
    const { nodeId, url } = (typeof node === 'object' && node !== null ? node : {}) as Record<
      string,
      unknown
    >;
    if (typeof nodeId !== 'string' || nodeId === '' || typeof url !== 'string')
      throw invalid('Each pinned node needs a nodeId and a url');
    try {
      new URL(url);
    } catch {
      throw invalid(`The pinned url of ${nodeId} is not a valid URL`);
    }
    return { nodeId, url };
  });
  if (new Set(pinned.map((node) => node.nodeId)).size !== pinned.length)
    throw invalid('The pinned topology names a node id twice');
  return { clusterId, sharing: { n, k, w }, nodes: pinned };
}

/** The pinned node of this id (its pinned URL); a node id the pin does not know is refused. */
export function pinnedNode(topology: Topology, nodeId: string): NodeRef {
  const node = topology.nodes.find((member) => member.nodeId === nodeId);
  if (node === undefined)
    throw new DsvClientError(
      'DSV_INTERNAL',
      'A node named a node that is not in the pinned topology (if the cluster changed, pin it again)',
    );
  return node;
}

/**
 * The n holders of a key, checked against the placement computed here over the pinned node ids: holder i must
 * be that placement's node i, each index exactly once. Answers the holders at their pinned URLs (whatever URL
 * the server gave), other fields (a commitment) kept.
 */
export function placedHolders<H extends HolderRef>(
  topology: Topology,
  key: { readonly tenant: string; readonly namespace: string; readonly name: string },
  holders: readonly H[],
): H[] {
  const { n } = topology.sharing;
  const placement = holdersFor(
    key,
    topology.nodes.map((node) => node.nodeId),
    n,
  );
  const byIndex = new Map(holders.map((holder) => [holder.index, holder]));
  if (holders.length !== n || byIndex.size !== n || placement.length !== n)
    throw new DsvClientError('DSV_INTERNAL', 'The node does not place one shard on each of n holders');
  return placement.map((nodeId, index) => {
    const holder = byIndex.get(index);
    if (holder?.nodeId !== nodeId)
      throw new DsvClientError(
        'DSV_INTERNAL',
        'The node names holders other than the placement over the pinned nodes (if the cluster changed, pin it again)',
      );
    return { ...holder, url: pinnedNode(topology, nodeId).url };
  });
}
