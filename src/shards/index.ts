// shards — a node's shard store: staged and committed shards, sealed at rest (I-S1, I-S2, I-S3).
export type {
  GenerationAddress,
  SealedShard,
  ShardAddress,
  ShardState,
  ShardStore,
  StoredSealedShard,
} from './shard-store.ts';
export type { ShardIdentity, ShardSealer } from './shard-sealer.ts';
export { SqliteShardStore } from './sqlite/sqlite-shard-store.ts';
