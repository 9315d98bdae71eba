// The data of a history check: recorded operations, the final state read back from every node, anomalies.
// Plain data only (no cluster handles), so the same checker runs against in-process nodes or real processes.

export type OperationKind = 'create' | 'update' | 'read' | 'readVersion' | 'delete';

/**
 * How an operation ended, from the client's point of view.
 * - ok: the server acknowledged it (a write's version, or the value read).
 * - fail: a definite refusal (400/404/409…): a write that failed this way never happened (DESIGN §5: the log
 *   decided it at intent time).
 * - unknown: 503, a timeout, a refused connection or any other answer that leaves open whether a write happened.
 */
export type Outcome =
  | { readonly type: 'ok'; readonly version?: number; readonly value?: string }
  | { readonly type: 'fail'; readonly status: number; readonly code: string | null }
  | {
      readonly type: 'unknown';
      readonly reason: string;
      readonly status?: number;
      readonly code?: string | null;
    };

export interface Operation {
  /** Position in the recording order (unique per recorder). */
  readonly id: number;
  readonly client: string;
  /** Base URL of the node the request went to. */
  readonly node: string;
  readonly op: OperationKind;
  readonly key: string;
  /** create/update: the value written — unique per write, so a value names its write. */
  readonly value?: string;
  /** readVersion: the version asked for. */
  readonly version?: number;
  /** Monotonic milliseconds (performance.now() of the recording process). */
  readonly invokedAt: number;
  readonly completedAt: number;
  readonly outcome: Outcome;
}

/** One node's answers for one key after the run: `/all` and `?version=v` for v = 1..N+1. */
export interface NodeFinalRead {
  readonly node: string;
  /** `/all`: status and, for 200, version → value. 404 means the key does not exist (deleted or never made). */
  readonly all: {
    readonly status: number;
    readonly code: string | null;
    readonly versions?: ReadonlyMap<number, string>;
  };
  readonly byVersion: ReadonlyArray<{
    readonly version: number;
    readonly status: number;
    readonly code: string | null;
    readonly value?: string;
  }>;
}

export interface FinalState {
  /** key → one entry per node. */
  readonly keys: ReadonlyMap<string, readonly NodeFinalRead[]>;
}

export type AnomalyKind =
  /** (a) an acknowledged write is not readable at its reported version with its value. */
  | 'lost-write'
  /** (b) the versions of a key are not exactly 1..N, or a version past N answers. */
  | 'version-gap'
  /** (c) a read returned a value no invoked write of that key wrote (or before that write was invoked). */
  | 'phantom-value'
  /** (c) a read returned the value of a write that definitely failed (aborted / rejected). */
  | 'aborted-value'
  /** (c) one write's value appears at more than one version. */
  | 'duplicate-value'
  /** (a, c) a value that a read returned is not in the final state of a key that was never deleted. */
  | 'vanished-value'
  /** (d) two acknowledged writes report the same version within one incarnation of the key. */
  | 'duplicate-version'
  /** (e) a client read an older latest version than one it had already seen. */
  | 'non-monotonic-read'
  /** (e, across clients) a read invoked after version v was acknowledged or seen returned older than v. */
  | 'stale-read'
  /** a read at a version, or the nodes among themselves, disagree with the final state (I-X1). */
  | 'divergent-read'
  /** a 5xx other than 503 (DESIGN §11: a bug) or a status the v1 contract does not have. */
  | 'server-error'
  /** a final read never succeeded, so the key could not be verified. */
  | 'unverifiable';

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly key: string;
  /** A readable sentence with the operations involved. */
  readonly description: string;
  /** Ids of the operations involved (empty for final-state-only anomalies). */
  readonly operations: readonly number[];
}

export interface HistoryReport {
  /** Recorded operations plus final reads that the checks covered. */
  readonly operationsChecked: number;
  readonly anomalies: readonly Anomaly[];
  /** Outcome counts of the recorded operations, for the summary line. */
  readonly outcomes: { readonly ok: number; readonly fail: number; readonly unknown: number };
}
