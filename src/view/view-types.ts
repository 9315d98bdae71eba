// Row shapes of the view (DESIGN §5): keys, versions with validity intervals, and write outcomes.
import type { IntentOp } from '../kernel/secret-key.ts';

export interface KeyState {
  readonly latestVersion: number;
  readonly live: boolean;
  readonly pendingWrite: string | null;
  readonly lastValidFrom: number;
}

export interface VersionInfo {
  readonly version: number;
  readonly writeId: string;
  readonly validFrom: number;
  readonly validTo: number | null;
  readonly holders: readonly string[];
  /**
   * Shard index → hiding commitment (base64) of the current generation (I-C2): from the commit record, then
   * from each refresh-commit; absent on versions before commitments existed.
   */
  readonly commitments?: Readonly<Record<string, string>>;
  /** The current share generation (proactive refresh, I-R1): 0 as written, + 1 per committed refresh. */
  readonly generation: number;
}

export type WriteKind = 'batch' | 'repair';
export type WriteState = 'pending' | 'committed' | 'aborted' | 'rejected' | 'duplicate';

/** What the intent decided for each op: the version a write will create, the version a read resolved. */
export interface PlannedOp {
  readonly op: IntentOp['op'] | 'repair';
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  /** For reads: the write id whose shards hold `version`. */
  readonly writeId?: string;
}

export type RejectionCode =
  | 'DSV_SECRET_EXISTS'
  | 'DSV_SECRET_NOT_FOUND'
  | 'DSV_WRITE_CONFLICT'
  | 'DSV_TENANT_SHREDDED'
  | 'DSV_QUOTA_SECRETS'
  | 'DSV_PRECONDITION_FAILED'
  | 'DSV_RETENTION_HOLD';

/** A retention hold (I-C2b) as the view keeps it; times are log times (I-X4). */
/** A tenant's registered key in its own KMS (I-K6), as the log decided it. */
export interface TenantKeyRecord {
  readonly tenant: string;
  readonly provider: string;
  readonly keyRef: string;
  /** Log time and accessor of the tenant-key-set record in force. */
  readonly setAt: number;
  readonly setBy: string;
  readonly revoked: boolean;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
}

export interface HoldRecord {
  readonly holdId: string;
  readonly tenant: string;
  /** null: the whole tenant. */
  readonly namespace: string | null;
  /** null: the whole namespace (or tenant). */
  readonly name: string | null;
  readonly reason: string;
  readonly placedBy: string;
  readonly placedAt: number;
  readonly expiresAt: number | null;
  readonly releasedAt: number | null;
  readonly releasedBy: string | null;
}

/** A tenant's quotas; null = no limit beyond the node's own. */
export interface TenantQuota {
  readonly maxSecrets: number | null;
  readonly maxValueBytes: number | null;
  readonly requestsPerSecond: number | null;
}

export const NO_QUOTA: TenantQuota = { maxSecrets: null, maxValueBytes: null, requestsPerSecond: null };

export interface WriteOutcome {
  readonly state: WriteState;
  /** Set when rejected: why, and which op. */
  readonly rejection?: { readonly code: RejectionCode; readonly opIndex: number };
  /** Set when the intent was a retry of an earlier write with the same idempotency key. */
  readonly duplicateOf?: string;
  /** Indexes of update ops that created no new version (value unchanged). */
  readonly unchanged?: readonly number[];
  readonly abortReason?: string;
}

export interface WriteRecord {
  readonly writeId: string;
  readonly partition: number;
  readonly tenant: string;
  readonly kind: WriteKind;
  readonly state: WriteState;
  readonly intentOffset: number;
  readonly intentTime: number;
  readonly plan: readonly PlannedOp[];
  readonly outcome: WriteOutcome;
  /** The node that signed the intent: the only one whose stage, commit and abort count (I-T3). */
  readonly coordinator?: string;
  /** Client-side mode: the accessor whose client alone may stage this write's shards (I-S4c). */
  readonly stager?: string;
}
