// A pass-through at-rest sealer, for the bench only: the baseline that prices envelope encryption (DESIGN §8).
// It violates I-S1 on purpose and must never be wired into a node outside bench/.
import type { SealerFactory } from '../src/node/sealers.ts';
import type { ShardSealer } from '../src/shards/index.ts';

const passThrough: ShardSealer = {
  kind: 'none (bench baseline)',
  seal: async (_identity, share) => share,
  open: async (_identity, sealed) => sealed,
};

export const plainSealerFactory: SealerFactory = async () => ({ sealer: passThrough, close: async () => {} });
