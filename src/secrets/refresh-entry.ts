// The records of proactive share refresh (design 2026-12-02 client-side mode §5; I-R1). All three go to the
// tenant's partition, so a refresh is ordered with the tenant's writes, and are signed by one member — the
// refresher. No client endorses them: nothing switches without every participant's own signed receipt.

/** A refresher starts re-randomising one version's shares: generation `generation` will replace the current one. */
export interface RefreshStartEntry {
  readonly type: 'refresh-start';
  readonly tenant: string;
  readonly time: number;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  /** The version's current generation + 1. */
  readonly generation: number;
  /** Random, once per refresh: binds every mask, MAC and receipt of this refresh. */
  readonly session: string;
  /** Every shard index holding a commitment now, ascending: each must deal, stage and sign. */
  readonly participants: readonly number[];
}

/** One participant's signed word that its new share is durably staged and every zero check it ran held. */
export interface RefreshReceipt {
  readonly index: number;
  readonly node: string;
  /** base64 SHA-256 commitment to the new share ‖ a fresh blinding (I-C2). */
  readonly commitment: string;
  readonly receipt: string;
}

/** The refresher switches the version to the new generation, with a receipt from every participant. */
export interface RefreshCommitEntry {
  readonly type: 'refresh-commit';
  readonly tenant: string;
  readonly time: number;
  readonly session: string;
  readonly receipts: readonly RefreshReceipt[];
}

export type RefreshAbortReason = 'unavailable' | 'zero-check' | 'refused';

/** The refresher gives up: the current generation stays, staged shares of the new one are discarded. */
export interface RefreshAbortEntry {
  readonly type: 'refresh-abort';
  readonly tenant: string;
  readonly time: number;
  readonly session: string;
  readonly reason: RefreshAbortReason;
}

export type RefreshEntry = RefreshStartEntry | RefreshCommitEntry | RefreshAbortEntry;
