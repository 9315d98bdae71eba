// A peer decorator for race tests (DevCluster `wrapPeer`): holds back one node's shard reads to its peers
// while `hold.on`, so a delete or a share refresh can commit under a read that already resolved its version.
import type { ShardHolder } from '../../src/cluster/index.ts';

export interface ReadHold {
  on: boolean;
  /** How long each held read waits (default 600 ms). */
  ms?: number;
  /** When present, the share generation each held read asked for is recorded here. */
  generations?: Array<number | undefined>;
}

export function slowReadsFrom(node: string, hold: ReadHold) {
  return (holder: ShardHolder, from: string): ShardHolder => ({
    nodeId: holder.nodeId,
    stage: (request) => holder.stage(request),
    endorse: (request) => holder.endorse(request),
    contribute: (request) => holder.contribute(request),
    awaitApplied: (partition, offset, timeoutMs) => holder.awaitApplied(partition, offset, timeoutMs),
    read: async (request) => {
      if (from === node && hold.on) {
        hold.generations?.push(request.generation);
        await new Promise((resolve) => setTimeout(resolve, hold.ms ?? 600));
      }
      return holder.read(request);
    },
  });
}
