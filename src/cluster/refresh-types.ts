// What a refresher asks of each participant of a proactive share refresh (design 2026-12-02 client-side mode
// §5; I-R1, I-R2): deal, apply, confirm. One interface, three adapters: this node (RefreshHolder), a peer over
// its peer API (RemoteShardHolder), a peer in the same process (InProcessPeers). Indexes are shard indexes.
import type { RefreshReceipt, SecretKey } from '../secrets/index.ts';

/** Names one refresh session; the holder checks every field against the log's refresh-start. */
export interface RefreshAddress {
  readonly key: SecretKey;
  readonly partition: number;
  /** The holder applies the log up to here first: the refresh-start's offset + 1. */
  readonly minOffset: number;
  readonly version: number;
  readonly writeId: string;
  /** The generation the refresh creates. */
  readonly generation: number;
  readonly session: string;
  readonly participants: readonly number[];
}

/** δ_dealer(x_recipient), masked and MACed under the two holders' pairwise secret: the refresher only relays it. */
export interface RefreshDealing {
  readonly dealer: number;
  readonly recipient: number;
  readonly masked: Uint8Array;
  readonly mac: string;
}

/** One participant's masked zero-check value for one subset, MACed for each other member of the subset. */
export interface ZeroCheckShare {
  readonly subset: readonly number[];
  readonly from: number;
  readonly value: Uint8Array;
  /** Recipient index → MAC under the pair's secret. */
  readonly macs: Readonly<Record<string, string>>;
}

export interface RefreshApplyRequest extends RefreshAddress {
  /** The dealings addressed to this holder: one from every other participant. */
  readonly dealings: readonly RefreshDealing[];
}

/** A participant staged its new share (synced) and committed to it; here are its zero-check values. */
export interface RefreshApplied {
  readonly index: number;
  readonly commitment: string;
  readonly checks: readonly ZeroCheckShare[];
}

export interface RefreshConfirmRequest extends RefreshAddress {
  /** The other members' zero-check values of every subset this holder is in. */
  readonly checks: readonly ZeroCheckShare[];
}

export interface RefreshPeer {
  readonly nodeId: string;
  /** This holder's dealings for every other participant. */
  refreshDeal(request: RefreshAddress): Promise<RefreshDealing[]>;
  /** Stages the new share durably and answers the zero-check values (nothing is signed yet). */
  refreshApply(request: RefreshApplyRequest): Promise<RefreshApplied>;
  /** Signs the receipt only when every subset this holder is in sums to zero. */
  refreshConfirm(request: RefreshConfirmRequest): Promise<RefreshReceipt>;
}

/** How this node refreshes shares (node config `shareRefresh`); the limits are the state machine's own. */
export interface ShareRefreshSettings {
  /** Refresh every version of the scheduled tenants this often (wall clock); absent: on demand only. */
  readonly intervalMs?: number;
  /** The tenants the schedule covers; absent: every tenant. */
  readonly tenants?: readonly string[];
  /** A superseded generation is kept this long after its refresh committed, for reads that resolved it. */
  readonly graceMs: number;
  /** The state machine's refresh limits (I-R1), which the refresher paces itself by. */
  readonly limits: {
    readonly timeoutMs: number;
    readonly minIntervalMs: number;
    readonly maxStartsPerSecond: number;
  };
}

/** What a coordinator needs to refresh shares: every member as a participant, this node included. */
export interface RefreshContext {
  readonly peers: ReadonlyMap<string, RefreshPeer>;
  readonly settings: ShareRefreshSettings;
}
