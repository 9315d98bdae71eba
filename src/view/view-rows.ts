// Rows of the view's tables as the store hands them out, and the memo keys of its per-request lookups.
import type { SecretKey } from '../kernel/secret-key.ts';
import type {
  HoldRecord,
  TenantQuota,
  VersionInfo,
  WriteKind,
  WriteRecord,
  WriteState,
  PlannedOp,
  WriteOutcome,
} from './view-types.ts';

export type Row = Record<string, unknown>;

export const num = (value: unknown): number => Number(value);
export const str = (value: unknown): string => String(value);
export const nullableNum = (value: unknown): number | null => (value === null ? null : num(value));

/** Memo keys of a secret and of one of its versions: JSON arrays, since a name may hold any character (NUL too). */
export const secretId = (key: SecretKey): string => JSON.stringify([key.tenant, key.namespace, key.name]);
export const versionId = (key: SecretKey, version: number): string =>
  JSON.stringify([key.tenant, key.namespace, key.name, version]);

/** A tenant's row of view_tenants, as the per-request checks read it. */
export interface TenantRow {
  readonly keyEpoch: number;
  readonly shreddedAt: number | null;
  readonly quota: TenantQuota;
}

export function toVersion(row: Row): VersionInfo {
  return {
    version: num(row.version),
    writeId: str(row.write_id),
    validFrom: num(row.valid_from),
    validTo: row.valid_to === null ? null : num(row.valid_to),
    holders: JSON.parse(str(row.holders)) as string[],
    generation: num(row.generation ?? 0),
    ...(row.commitments ? { commitments: JSON.parse(str(row.commitments)) as Record<string, string> } : {}),
  };
}

export function toWrite(row: Row): WriteRecord {
  return {
    writeId: str(row.write_id),
    partition: num(row.partition),
    tenant: str(row.tenant),
    kind: str(row.kind) as WriteKind,
    state: str(row.state) as WriteState,
    intentOffset: num(row.intent_offset),
    intentTime: num(row.intent_time),
    plan: JSON.parse(str(row.plan)) as PlannedOp[],
    outcome: JSON.parse(str(row.outcome ?? '{}')) as WriteOutcome,
    ...(row.coordinator ? { coordinator: str(row.coordinator) } : {}),
    ...(row.stager ? { stager: str(row.stager) } : {}),
  };
}

export function toHold(row: Row): HoldRecord {
  return {
    holdId: str(row.hold_id),
    tenant: str(row.tenant),
    namespace: row.namespace === null ? null : str(row.namespace),
    name: row.name === null ? null : str(row.name),
    reason: str(row.reason),
    placedBy: str(row.placed_by),
    placedAt: num(row.placed_at),
    expiresAt: nullableNum(row.expires_at),
    releasedAt: nullableNum(row.released_at),
    releasedBy: row.released_by === null ? null : str(row.released_by),
  };
}
