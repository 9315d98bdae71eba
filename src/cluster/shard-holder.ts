// What the coordinator asks of a shard holder — this node or a peer over HTTP (one interface, two adapters).
// Every call that releases or vouches for anything carries what the holder needs to decide for itself
// (trust-boundaries design §4–§7): a client credential derived for this holder, a commitment, a session.
import type { SecretKey } from '../secrets/index.ts';
import type { ForwardedCredential } from '../trust/index.ts';
import type { LogEntry } from '../secrets/index.ts';

export interface StageShard {
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly index: number;
  readonly share: Uint8Array;
  /** Random 32 bytes that make the commitment hiding (I-C2); stored with the share, never logged. */
  readonly blinding: Uint8Array;
  readonly commitment: string;
}

export interface StageRequest {
  readonly tenant: string;
  readonly partition: number;
  /** The holder first applies the log up to here, so it knows the write (the intent's offset). */
  readonly minOffset: number;
  readonly shards: readonly StageShard[];
}

/** A holder's signed acknowledgement of one durably staged shard (I-X3 is counted in these). */
export interface StageReceipt {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly index: number;
  readonly commitment: string;
  readonly receipt: string;
}

/** Why a client asked for a shard: to read it (`read`), or to compare a new value with it (`compare`). */
export type ReadPurpose = 'read' | 'compare';

export interface ShardReadRequest {
  readonly key: SecretKey;
  readonly partition: number;
  /** Causality token: the reader's applied position; the holder catches up to it before answering. */
  readonly minOffset: number;
  readonly version: number;
  readonly writeId: string;
  readonly credential: ForwardedCredential;
  readonly purpose: ReadPurpose;
  readonly requestId: string;
  /** The share generation the reader resolved (proactive refresh, issue #9); absent: the current one. */
  readonly generation?: number;
  /**
   * The client asked for the latest version (client-side reads, issue #9): the holder releases only if this
   * version is its latest, so a lying resolver cannot roll a read back to an older version.
   */
  readonly latest?: boolean;
}

export interface ReleasedShard {
  readonly index: number;
  readonly share: Uint8Array;
  /** Absent only for shards written before commitments existed. */
  readonly blinding?: Uint8Array;
}

export interface EndorseRequest {
  readonly partition: number;
  readonly entry: LogEntry;
  readonly credential: ForwardedCredential;
  readonly requestId: string;
}

export interface RecoveryRequest {
  readonly key: SecretKey;
  readonly partition: number;
  readonly minOffset: number;
  readonly version: number;
  readonly writeId: string;
  /** The requester's shard index (it must be the placement holder of it). */
  readonly target: number;
  /** Shard indexes of all helpers of this recovery, the answering one included. */
  readonly helpers: readonly number[];
  /** Fresh per recovery: binds the pairwise masks. */
  readonly session: string;
  /** The share generation recovered (I-R1); helpers refuse when theirs moved. Absent: their current one. */
  readonly generation?: number;
}

export interface ShardHolder {
  readonly nodeId: string;
  /** Durably stages every shard or none; rejects when the write is no longer pending. */
  stage(request: StageRequest): Promise<StageReceipt[]>;
  /** Releases this holder's shard only to an authorised client's request (I-S5); undefined when absent. */
  read(request: ShardReadRequest): Promise<ReleasedShard | undefined>;
  /** This holder's endorsement of a record after it checked the client itself (I-T3). */
  endorse(request: EndorseRequest): Promise<string>;
  /** A masked, Lagrange-weighted contribution to another holder's recovery (I-S6). */
  contribute(request: RecoveryRequest): Promise<Uint8Array>;
  /** Resolves once the holder applied the record at `offset`. */
  awaitApplied(partition: number, offset: number, timeoutMs: number): Promise<void>;
}

/**
 * What a node's public listener offers a client-side client (issue #9): its own holder, deciding stages and
 * releases itself on the client's per-node credential (I-G3, I-S4c, I-S5).
 */
export interface ClientFacingHolder {
  stageForClient(request: StageRequest, credential: ForwardedCredential): Promise<StageReceipt[]>;
  readForClient(request: ShardReadRequest): Promise<ReleasedShard | undefined>;
  endorseForClient(request: EndorseRequest): Promise<string>;
}
