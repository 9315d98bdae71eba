// This node's view of every other member as a shard holder, over the peer API (mutual TLS when the node has
// its certificates): one RemoteShardHolder per member, each with this node's own peer token (I-G4).
import { RemoteShardHolder } from '../cluster/index.ts';
import type { NodeConfig } from './node-config.ts';
import type { NodeTlsMaterial } from './tls/index.ts';

export function remoteHolders(
  config: NodeConfig,
  peerToken: string,
  tls: NodeTlsMaterial | undefined,
): RemoteShardHolder[] {
  return config.members
    .filter((member) => member.nodeId !== config.nodeId)
    .map(
      (member) =>
        new RemoteShardHolder(
          { nodeId: member.nodeId, url: member.peerUrl },
          {
            selfId: config.nodeId,
            peerToken,
            requestTimeoutMs: config.timeouts.peerMs,
            // How many shares one batched peer request may carry (issue #10).
            maxValueBytes: config.limits.maxValueBytes,
            ...(tls ? { tls: tls.client } : {}),
          },
        ),
    );
}
