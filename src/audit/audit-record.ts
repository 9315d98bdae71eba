// The audit record: its fields, their fixed order, the canonical JSON line and the hash chain (I-A1).
import { createHash } from 'node:crypto';
import { DsvError } from '../errors/index.ts';

/** What happened to the request, derived from the status: the trail can be filtered without reading codes. */
export type AuditOutcome = 'ok' | 'denied' | 'rejected' | 'failed';

/** What a caller hands to a sink. No names, values or tokens: the path is only its per-tenant HMAC. */
export interface AuditRecordInput {
  readonly requestId: string;
  /** Caller's tenant; null when the request was not authenticated (401, health, …). */
  readonly tenant: string | null;
  /** The token's accessor id (never the token); null when unauthenticated. */
  readonly accessor: string | null;
  /** A short dotted name such as `secret.read` — never a URL (it would carry names). */
  readonly operation: string;
  /** `AuditPathHasher.pathHmac(tenant, namespace, name)`; null when the request touched no secret path. */
  readonly pathHmac: string | null;
  readonly outcome: AuditOutcome;
  readonly status: number;
  /** Defaults to the time of the append. */
  readonly time?: Date;
}

/** One line of the trail. Field order here is the canonical order (see `canonicalJson`). */
export interface AuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly requestId: string;
  readonly node: string;
  readonly tenant: string | null;
  readonly accessor: string | null;
  readonly operation: string;
  readonly pathHmac: string | null;
  readonly outcome: AuditOutcome;
  readonly status: number;
  readonly prevHash: string;
  readonly hash: string;
}

export type UnsealedAuditRecord = Omit<AuditRecord, 'hash'>;

/** Where the chain stands after an append: the record's place and hash (an external anchor may keep it). */
export interface AuditReceipt {
  readonly seq: number;
  readonly hash: string;
}

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export const AUDIT_FIELDS = [
  'seq',
  'time',
  'requestId',
  'node',
  'tenant',
  'accessor',
  'operation',
  'pathHmac',
  'outcome',
  'status',
  'prevHash',
  'hash',
] as const satisfies ReadonlyArray<keyof AuditRecord>;

const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(['ok', 'denied', 'rejected', 'failed']);
/** Identifiers (request ids, accessors, operations, node ids): no spaces, slashes or URLs, so no names. */
const IDENT = /^[A-Za-z0-9._:-]{1,128}$/;
const OPERATION = /^[A-Za-z0-9._:-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403) return 'denied';
  return status < 500 ? 'rejected' : 'failed';
}

/**
 * The canonical JSON of a record: the fields in AUDIT_FIELDS order, JSON.stringify's own escaping (which
 * is deterministic), no whitespace. Built field by field, so the order never depends on how the object was
 * made — the hash is reproducible by any auditor from the line alone.
 */
export function canonicalJson(record: AuditRecord): string {
  return serialize(record, AUDIT_FIELDS);
}

const UNSEALED_FIELDS = AUDIT_FIELDS.filter((field) => field !== 'hash');

/** hash = SHA-256 over the canonical JSON of the record without its hash field, lowercase hex. */
export function hashRecord(record: UnsealedAuditRecord): string {
  return createHash('sha256').update(serialize(record, UNSEALED_FIELDS)).digest('hex');
}

function serialize(record: UnsealedAuditRecord, fields: ReadonlyArray<keyof AuditRecord>): string {
  const values = record as unknown as Record<string, unknown>;
  return `{${fields.map((field) => `${JSON.stringify(field)}:${JSON.stringify(values[field])}`).join(',')}}`;
}

export function sealRecord(record: UnsealedAuditRecord): AuditRecord {
  return { ...record, hash: hashRecord(record) };
}

/** Rejects input that could smuggle names, values or line breaks into the trail (I-A1 README: no names). */
export function checkAuditInput(input: AuditRecordInput, node: string): void {
  const bad = (field: string): never => {
    throw new DsvError('DSV_INPUT_INVALID', `Invalid audit record field: ${field}`, { details: { field } });
  };
  if (!IDENT.test(input.requestId)) bad('requestId');
  if (!IDENT.test(node)) bad('node');
  if (input.tenant !== null && !isTenant(input.tenant)) bad('tenant');
  if (input.accessor !== null && !IDENT.test(input.accessor)) bad('accessor');
  if (!OPERATION.test(input.operation)) bad('operation');
  if (input.pathHmac !== null && !HEX64.test(input.pathHmac)) bad('pathHmac');
  if (!OUTCOMES.has(input.outcome)) bad('outcome');
  if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599) bad('status');
  if (input.time !== undefined && Number.isNaN(input.time.getTime())) bad('time');
}

/** Tenant ids come from the control context: printable, bounded, well-formed. */
function isTenant(tenant: string): boolean {
  return tenant.length > 0 && tenant.length <= 256 && tenant.isWellFormed() && !/\p{Cc}/u.test(tenant);
}

/**
 * Parses one line of the trail into a record, or says why it is not one. A record must be exactly its own
 * canonical JSON (same fields, same order, no extra whitespace) — anything else counts as modified.
 */
export function parseRecordLine(line: string): { record: AuditRecord } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: 'not an object' };
  const keys = Object.keys(value);
  if (keys.length !== AUDIT_FIELDS.length || keys.some((k, i) => k !== AUDIT_FIELDS[i]))
    return { problem: 'wrong fields' };
  const r = value as Record<string, unknown>;
  const matches = (v: unknown, pattern: RegExp) => typeof v === 'string' && pattern.test(v);
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  const shapeOk =
    Number.isSafeInteger(r.seq) &&
    Number(r.seq) >= 0 &&
    matches(r.time, ISO_TIME) &&
    typeof r.requestId === 'string' &&
    typeof r.node === 'string' &&
    strOrNull(r.tenant) &&
    strOrNull(r.accessor) &&
    typeof r.operation === 'string' &&
    strOrNull(r.pathHmac) &&
    typeof r.outcome === 'string' &&
    OUTCOMES.has(r.outcome) &&
    Number.isInteger(r.status) &&
    matches(r.prevHash, HEX64) &&
    matches(r.hash, HEX64);
  if (!shapeOk) return { problem: 'bad field values' };
  const record = value as AuditRecord;
  if (canonicalJson(record) !== line) return { problem: 'not canonical' };
  return { record };
}
