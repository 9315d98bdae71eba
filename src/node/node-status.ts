// Status figures: the v1 cluster status (real counts) and a richer per-node view (offsets, lag, shards).
import type { LogApplier, Membership } from '../cluster/index.ts';
import type { ClusterStatusFigures } from '../gateway/index.ts';
import type { ShardStore } from '../shards/index.ts';
import type { ViewStore } from '../view/index.ts';
import type { NodeConfig } from './node-config.ts';

export function clusterFigures(totalNodes: number, membership: Membership): ClusterStatusFigures {
  const peers = membership.statuses();
  return {
    totalNodes,
    healthyNodes: 1 + peers.filter((peer) => peer.health === 'healthy').length,
    suspectNodes: peers.filter((peer) => peer.health === 'suspect').length,
    failedNodes: peers.filter((peer) => peer.health === 'failed').length,
  };
}

export function nodeStatus(
  config: NodeConfig,
  applier: LogApplier,
  partitions: number,
  membership: Membership,
  shards: ShardStore,
  view: ViewStore,
  /** This node's last readiness (issue 11), refreshed every second; null before the first check. */
  ready: { ready: boolean; reasons: string[] } | null = null,
) {
  const applied = Array.from({ length: partitions }, (_, partition) => applier.nextOffset(partition));
  return {
    nodeId: config.nodeId,
    sharing: config.sharing,
    applied,
    ready,
    shards: shards.counts(),
    atRest: shards.sealerKind,
    liveSecrets: view.liveSecretCount(),
    peers: membership.statuses().map((peer) => ({
      ...peer,
      lag: peer.applied
        ? applied.map((offset, index) => Math.max(0, offset - (peer.applied?.[index] ?? 0)))
        : null,
    })),
  };
}
