// The shard-store port: a node's staged and committed shards (DESIGN §6, I-S1..I-S3).
import type { SecretKey } from '../secrets/log-entry.ts';

export type ShardState = 'staged' | 'committed';

export interface ShardAddress {
  readonly key: SecretKey;
  readonly version: number;
  readonly writeId: string;
}

export interface SealedShard {
  readonly address: ShardAddress;
  readonly index: number;
  readonly sealed: Uint8Array;
}

export interface ShardStore {
  /** The sealer's kind, for status output. */
  readonly sealerKind: string;
  /** Seals one shard for this node (I-S1: only sealed bytes ever reach the disk). */
  seal(address: ShardAddress, index: number, share: Uint8Array): Promise<SealedShard>;
  /**
   * Durably stores a sealed shard. Synchronous so that a caller can check the write's state in the view and
   * store in one uninterrupted step (no abort can slip in between: I-S3).
   */
  put(shard: SealedShard, state: ShardState): void;
  /** The committed shard at `address`, opened; undefined when absent or when it does not open (I-S2). */
  read(address: ShardAddress): Promise<{ index: number; share: Uint8Array } | undefined>;
  hasCommitted(address: ShardAddress): boolean;
  // The state-machine effects below are synchronous so that the applier runs them inside the one
  // transaction that also advances the applied offset (I-V2).
  promote(writeId: string): void;
  /** I-S3: staged shards of an aborted write are removed. */
  discardStaged(writeId: string): void;
  /** Delete: every shard of the key, every version, staged or not (DESIGN §6.6). */
  destroyKey(key: SecretKey): void;
  /** Repair commit: the version's shards of any other write id go. */
  destroyVersionExcept(key: SecretKey, version: number, keepWriteId: string): void;
  /** Count of shards by state, for status. */
  counts(): Record<ShardState, number>;
}
