// The shard-store port: a node's staged and committed shards (DESIGN §6, I-S1..I-S3).
import type { SecretKey } from '../kernel/secret-key.ts';

export type ShardState = 'staged' | 'committed';

export interface ShardAddress {
  readonly key: SecretKey;
  readonly version: number;
  readonly writeId: string;
  /** The share generation (proactive refresh, I-R1); absent means 0, what every write stores. */
  readonly generation?: number;
}

/** One version's shard at one generation (proactive refresh, I-R1). */
export interface GenerationAddress extends ShardAddress {
  readonly generation: number;
}

export interface SealedShard {
  readonly address: ShardAddress;
  readonly index: number;
  readonly sealed: Uint8Array;
}

/** A stored shard as rewrap sees it (DESIGN §8: a background rewrap re-encrypts old shards). */
export interface StoredSealedShard extends SealedShard {
  readonly keyId: number | null;
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
  /**
   * Resolves once every shard put before this call is on disk. `put` commits without a sync (the database is
   * in WAL mode, synchronous=NORMAL); a holder awaits this before it signs a receipt (I-X3). Concurrent
   * callers share one sync (group commit).
   */
  flush(): Promise<void>;
  /** The committed shard at `address`, opened; undefined when absent or when it does not open (I-S2). */
  read(address: ShardAddress): Promise<{ index: number; share: Uint8Array } | undefined>;
  hasCommitted(address: ShardAddress): boolean;
  /** Whether any row, staged or committed, is stored at `address` (a refresh stages each generation once). */
  holds(address: ShardAddress): boolean;
  // The state-machine effects below are synchronous so that the applier runs them inside the one
  // transaction that also advances the applied offset (I-V2).
  promote(writeId: string): void;
  /** I-S3: staged shards of an aborted write are removed. */
  discardStaged(writeId: string): void;
  /** Delete: every shard of the key, every version, staged or not (DESIGN §6.6). */
  destroyKey(key: SecretKey): void;
  /** Repair commit: the version's shards of any other write id go. */
  destroyVersionExcept(key: SecretKey, version: number, keepWriteId: string): void;
  /** Crypto-shred: every shard of the tenant, staged or not. */
  destroyTenant(tenant: string): void;
  /** Shard counts per tenant and data key id, for rotation progress and DEK retirement. */
  keyUsage(): Array<{ tenant: string; keyId: number | null; shards: number }>;
  /** Up to `limit` shards of `tenant` sealed under a key other than `keyId`. */
  sealedUnderOtherKeys(tenant: string, keyId: number, limit: number): StoredSealedShard[];
  /** Re-seals one shard under the active key: compare-and-set on the old bytes, so a concurrent change wins. */
  reseal(shard: StoredSealedShard, share: Uint8Array): Promise<boolean>;
  /** Opens a stored shard (for rewrap); rejects when it does not open. */
  open(shard: SealedShard): Promise<Uint8Array>;
  /** Count of shards by state, for status. */
  counts(): Record<ShardState, number>;

  // Proactive share refresh (I-R1). The first two are state-machine effects (synchronous, in the apply
  // transaction); the last two are the holder's local garbage collection of superseded generations.
  /** refresh-commit: this node's staged share of that generation becomes committed. */
  promoteGeneration(address: GenerationAddress): void;
  /** refresh-abort or timeout: this node's staged share of that generation is removed. */
  discardGeneration(address: GenerationAddress): void;
  /** Up to `limit` committed shards superseded by a committed shard of a higher generation of the same write. */
  supersededGenerations(limit: number): GenerationAddress[];
  /** Removes one committed shard of one generation; `scrub` then makes the deletion durable. */
  deleteGeneration(address: GenerationAddress): void;
  /**
   * Makes deleted shards unrecoverable from the store's files: every deletion synced, and no old copy left in
   * a journal (the SQLite adapter checkpoints and truncates its WAL; deleted pages are zeroed already).
   */
  scrub(): Promise<void>;
}
