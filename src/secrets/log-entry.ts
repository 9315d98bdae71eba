// The records DSV appends to the commit log (DESIGN §5). They carry ids, times and keys, never a value.
import type { AuthorityFields, ControlEntry, Endorsement } from '../control/index.ts';
import { DsvError } from '../errors/index.ts';
import type { RefreshEntry } from './refresh-entry.ts';

// The names every context shares (a secret's key, an intent's operations) live in the leaf module src/kernel,
// so view and shards need not import this context (issue #13).
export type { IntentOp, SecretKey, WriteOpKind } from '../kernel/secret-key.ts';
import type { IntentOp, SecretKey } from '../kernel/secret-key.ts';

export interface IntentEntry {
  readonly type: 'intent';
  readonly writeId: string;
  readonly tenant: string;
  /** Coordinator's wall clock (ms), informational: log time comes from the log itself (I-X4). */
  readonly time: number;
  /** Must be the record's signer; its endorsement is its signature (I-T3). */
  readonly coordinator: string;
  /**
   * Client-side mode (issue #9): the accessor of the token that stages the shards itself. Endorsers check it
   * is the caller's own; holders then take stages only from that client, never from a node (I-S4c).
   */
  readonly stager?: string;
  readonly idempotencyKey?: string;
  readonly ops: readonly IntentOp[];
  /** Endorsements of other members that verified the client themselves (I-T3: q in all, with the signer). */
  readonly endorsements: readonly Endorsement[];
}

/** One staged shard a commit vouches for: its holder's receipt over the hiding commitment (I-C2, I-X3). */
export interface CommitShard {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly index: number;
  /** base64 SHA-256 commitment to share ‖ blinding (design §6). */
  readonly commitment: string;
  /** The holder's signature over the stage receipt. */
  readonly receipt: string;
}

export interface CommitEntry {
  readonly type: 'commit';
  readonly writeId: string;
  readonly tenant: string;
  readonly time: number;
  /** Every acknowledged shard, W or more per written key, each with its holder's receipt (I-X3). */
  readonly shards: readonly CommitShard[];
  /** Indexes of update ops whose value equalled the latest version: no new version (DESIGN §5). */
  readonly unchanged?: readonly number[];
}

/**
 * A holder recovered its own shard of a version without anyone reconstructing the value (design §7) and
 * commits to it afresh. Only the placement holder of that index may sign it; it changes no other shard.
 */
export interface ShareRestoredEntry {
  readonly type: 'share-restored';
  readonly tenant: string;
  readonly time: number;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly index: number;
  readonly commitment: string;
  /**
   * Random, once per record: a replayed or duplicated copy would roll the commitment back to an older share,
   * so a copy is refused like a replayed authority record. Records written before it existed have none and
   * are refused too (the holder recovers its share again).
   */
  readonly rid?: string;
  /**
   * The share generation the shard was recovered at (proactive refresh, I-R1); absent means 0. A restore of a
   * generation that is no longer current changes nothing.
   */
  readonly generation?: number;
}

/** The operator revokes a node: its signatures, endorsements and peer calls count no more (I-G4). */
export interface NodeRevokeEntry {
  readonly type: 'node-revoke';
  readonly rid: string;
  readonly nodeId: string;
  readonly time: number;
}

export type AbortReason = 'quorum' | 'read-failed' | 'timeout' | 'coordinator';

export interface AbortEntry {
  readonly type: 'abort';
  readonly writeId: string;
  readonly tenant: string;
  readonly time: number;
  readonly reason: AbortReason;
}

/** Advances log time so pending writes past their timeout are aborted on every node (DESIGN §5). */
export interface TickEntry {
  readonly type: 'tick';
  readonly time: number;
}

/**
 * Rotate the tenant's data key (DESIGN §8). Appended to the tenant's own partition, so it is ordered with
 * the tenant's writes: every node switches at the same point, and every seal after it uses a newer DEK.
 */
export interface KeysRotateEntry extends AuthorityFields {
  readonly type: 'keys-rotate';
  readonly tenant: string;
  readonly time: number;
}

/** Crypto-shred the tenant (DESIGN §8): every node destroys its DEKs, shards and metadata on apply. */
export interface TenantShredEntry extends AuthorityFields {
  readonly type: 'tenant-shred';
  readonly tenant: string;
  readonly time: number;
}

/** Tenant quotas (DESIGN §9): on the tenant's partition, so the secret-count limit is decided by the log. */
export interface QuotaSetEntry extends AuthorityFields {
  readonly type: 'quota-set';
  readonly tenant: string;
  readonly time: number;
  readonly maxSecrets: number | null;
  readonly maxValueBytes: number | null;
  readonly requestsPerSecond: number | null;
}

/**
 * A retention hold (I-C2b) on a tenant (`namespace` null), a namespace (`name` null) or one secret: while it
 * is active, deletes and crypto-shred of what it covers are refused in log order on every node. On the
 * tenant's partition, so it is ordered with the tenant's writes.
 */
export interface HoldPlaceEntry extends AuthorityFields {
  readonly type: 'hold-place';
  readonly tenant: string;
  readonly time: number;
  /** Chosen by the coordinator (random); the first hold-place with an id wins, a second is a no-op. */
  readonly holdId: string;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly reason: string;
  /** Expiry relative to this record's log time (I-X4), so every node agrees when it lapses; null = none. */
  readonly ttlMs: number | null;
  /** The accessor of the token that placed it (endorsers check it is the caller's). */
  readonly by: string;
}

/** Releases a hold. Carries the hold's scope, which endorsers judge and the state machine must match. */
export interface HoldReleaseEntry extends AuthorityFields {
  readonly type: 'hold-release';
  readonly tenant: string;
  readonly time: number;
  readonly holdId: string;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly by: string;
}

/**
 * Tenant-held keys (I-K6): the tenant's DEKs are from now on wrapped under this key in the tenant's own KMS,
 * then under each node's KEK. On the tenant's partition, so every node switches at the same log position (the
 * record's offset is also a key epoch: every seal after it uses a DEK under the new key). Each node reaches
 * the key only through its own config's entry for (tenant, provider, keyRef).
 */
export interface TenantKeySetEntry extends AuthorityFields {
  readonly type: 'tenant-key-set';
  readonly tenant: string;
  readonly time: number;
  /** `aws-kms`, `pkcs11`, `kmip` or `local`. */
  readonly provider: string;
  /** The key's name at the provider (never key material). */
  readonly keyRef: string;
  /** The accessor of the token that set it (endorsers check it is the caller's). */
  readonly by: string;
}

/**
 * Revokes the tenant's key through DSV (I-K6): every node destroys the tenant's DEKs and shards, so its data is
 * gone, like a crypto-shred that keeps the tenant. A retention hold in force in the tenant makes it a no-op.
 */
export interface TenantKeyRevokeEntry extends AuthorityFields {
  readonly type: 'tenant-key-revoke';
  readonly tenant: string;
  readonly time: number;
  readonly by: string;
}

export type LogEntry =
  | TenantKeySetEntry
  | TenantKeyRevokeEntry
  | HoldPlaceEntry
  | HoldReleaseEntry
  | QuotaSetEntry
  | IntentEntry
  | ShareRestoredEntry
  | NodeRevokeEntry
  | CommitEntry
  | AbortEntry
  | TickEntry
  | KeysRotateEntry
  | TenantShredEntry
  | RefreshEntry
  | ControlEntry;

/** A record as the state machine sees it: who signed it, and when the log appended it (I-X4). */
export interface SignedEntry {
  readonly signer: string;
  readonly entry: LogEntry;
  /** The log's own append time (ms): the only clock the state machine reads. */
  readonly timestamp: number;
}

export function assertSecretKey(key: SecretKey): void {
  if (!key.tenant || !key.namespace || !key.name) {
    throw new DsvError('DSV_INPUT_INVALID', 'Secret identity is incomplete');
  }
}
