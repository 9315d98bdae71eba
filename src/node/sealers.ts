// Picks the at-rest sealer for a node (composition root only, DESIGN §8).
import type { NodeDependencies } from './dsv-node.ts';
import { plainShardSealerForTests } from '../shards/plain-sealer.ts';

export async function devSealer(_dataDir: string): Promise<NodeDependencies['sealer']> {
  return async () => plainShardSealerForTests;
}
