// The records DSV appends to the commit log (DESIGN §5). They carry ids, times and keys, never a value.
import { CONTROL_TYPES, type ControlEntry } from '../control/control-entry.ts';
import { DsvError } from '../errors/index.ts';

/** A secret's identity. Fields are kept apart everywhere; they are never joined with a separator (§4). */
export interface SecretKey {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
}

export type WriteOpKind = 'create' | 'update' | 'delete';

/** One operation of an intent. `read` ops resolve a version at the intent's log position (.env snapshots). */
export type IntentOp =
  | {
      readonly op: WriteOpKind;
      readonly namespace: string;
      readonly name: string;
      /** Compare-and-set: the write applies only if the latest version is exactly this (DESIGN §9 If-Match). */
      readonly expectedVersion?: number;
    }
  | { readonly op: 'read'; readonly namespace: string; readonly name: string; readonly version?: number };

export interface IntentEntry {
  readonly type: 'intent';
  readonly writeId: string;
  readonly tenant: string;
  /** Coordinator's wall clock (ms) when it appended; the only clock the state machine sees (log time). */
  readonly time: number;
  readonly coordinator: string;
  readonly idempotencyKey?: string;
  readonly ops: readonly IntentOp[];
}

/** Re-split of one existing version (read repair / anti-entropy, DESIGN §7.4). Takes no key lock. */
export interface RepairEntry {
  readonly type: 'repair';
  readonly writeId: string;
  readonly tenant: string;
  readonly time: number;
  readonly coordinator: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  /** Compare-and-set: the repair applies only while the version is still shared under this write id. */
  readonly baseWriteId: string;
}

export interface CommitEntry {
  readonly type: 'commit';
  readonly writeId: string;
  readonly tenant: string;
  readonly time: number;
  /** Node ids that acknowledged a durable staged shard (I-X3: at least W of them). */
  readonly holders: readonly string[];
  /** Indexes of update ops whose value equalled the latest version: no new version (DESIGN §5). */
  readonly unchanged?: readonly number[];
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
export interface KeysRotateEntry {
  readonly type: 'keys-rotate';
  readonly tenant: string;
  readonly time: number;
}

/** Crypto-shred the tenant (DESIGN §8): every node destroys its DEKs, shards and metadata on apply. */
export interface TenantShredEntry {
  readonly type: 'tenant-shred';
  readonly tenant: string;
  readonly time: number;
}

/** Tenant quotas (DESIGN §9): on the tenant's partition, so the secret-count limit is decided by the log. */
export interface QuotaSetEntry {
  readonly type: 'quota-set';
  readonly tenant: string;
  readonly time: number;
  readonly maxSecrets: number | null;
  readonly maxValueBytes: number | null;
  readonly requestsPerSecond: number | null;
}

export type LogEntry =
  | QuotaSetEntry
  | IntentEntry
  | RepairEntry
  | CommitEntry
  | AbortEntry
  | TickEntry
  | KeysRotateEntry
  | TenantShredEntry
  | ControlEntry;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeEntry(entry: LogEntry): Uint8Array {
  return encoder.encode(JSON.stringify(entry));
}

const KNOWN_TYPES = new Set([
  'intent',
  'repair',
  'commit',
  'abort',
  'tick',
  'keys-rotate',
  'tenant-shred',
  'quota-set',
]);

/**
 * Decodes a record. A record that is not a DSV entry is returned as `undefined` and skipped by every node
 * alike, so a stray producer cannot make nodes diverge (I-X1).
 */
export function decodeEntry(bytes: Uint8Array): LogEntry | undefined {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(bytes));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const type = (parsed as { type?: unknown }).type;
    if (typeof type !== 'string' || (!KNOWN_TYPES.has(type) && !CONTROL_TYPES.has(type))) return undefined;
    if (typeof (parsed as { time?: unknown }).time !== 'number') return undefined;
    return parsed as LogEntry;
  } catch {
    return undefined;
  }
}

export function assertSecretKey(key: SecretKey): void {
  if (!key.tenant || !key.namespace || !key.name) {
    throw new DsvError('DSV_INPUT_INVALID', 'Secret identity is incomplete');
  }
}
