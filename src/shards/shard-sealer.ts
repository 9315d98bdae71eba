// The at-rest seam of the shard store (DESIGN §8): every shard passes through a sealer before it is written
// and after it is read, so encryption plugs in without changing callers (I-S1, I-S2).

/** Everything that names one shard; bound into the at-rest AAD so a moved ciphertext fails to open (I-S2). */
export interface ShardIdentity {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly index: number;
  readonly node: string;
  /**
   * The share generation (proactive refresh, I-R1): absent or 0 for every share a write stored; a refreshed
   * share binds its generation too, so a ciphertext never opens as another generation's.
   */
  readonly generation?: number;
}

export interface ShardSealer {
  /** Human-readable kind for status output ("envelope-aes-256-gcm", …). Never key material. */
  readonly kind: string;
  seal(identity: ShardIdentity, share: Uint8Array): Promise<Uint8Array>;
  /** Rejects (never returns other bytes) when the sealed bytes do not open under this identity. */
  open(identity: ShardIdentity, sealed: Uint8Array): Promise<Uint8Array>;
  /** Which data key sealed these bytes (for rewrap and retirement), when the sealer uses keys. */
  keyIdOf?(sealed: Uint8Array): number | undefined;
}
