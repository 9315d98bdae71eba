// A ShardSealer that stores shares as they are: for unit tests of other contexts only. A node always
// composes a real sealer (src/node/); shares alone reveal nothing below k, but I-S1 wants encryption too.
import type { ShardSealer } from './shard-sealer.ts';

export const plainShardSealerForTests: ShardSealer = {
  kind: 'none (tests only)',
  seal: async (_identity, share) => Uint8Array.from(share),
  open: async (_identity, sealed) => Uint8Array.from(sealed),
};
