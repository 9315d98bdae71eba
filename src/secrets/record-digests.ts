// What endorsements and stage receipts sign (trust-boundaries design §4, §6): one definition, used by the
// nodes that sign and by the state machine that verifies, so the two can never drift.
import { digestOf } from '../trust/index.ts';
import type { LogEntry } from './log-entry.ts';

/** The digest an endorser signs: the whole body except the endorsements themselves. */
export function endorsementDigest(clusterId: string, entry: LogEntry): Buffer {
  const { endorsements: _ignored, ...body } = entry as LogEntry & { endorsements?: unknown };
  return digestOf('dsv/endorse/v1', clusterId, body);
}

export interface ReceiptFields {
  readonly writeId: string;
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly index: number;
  readonly commitment: string;
  readonly node: string;
}

export function receiptDigest(clusterId: string, fields: ReceiptFields): Buffer {
  const { writeId, tenant, namespace, name, version, index, commitment, node } = fields;
  return digestOf('dsv/stage-receipt/v1', clusterId, {
    writeId,
    tenant,
    namespace,
    name,
    version,
    index,
    commitment,
    node,
  });
}

/**
 * What a refresh participant signs (I-R1): its new share's commitment, for this session and generation, and
 * for the one refresh-start record that opened the session (its partition and offset). A log offset is never
 * reused, so a receipt can never count for a replayed start, even once the session id is forgotten (I-R4).
 */
export interface RefreshReceiptFields {
  readonly session: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly generation: number;
  readonly index: number;
  readonly commitment: string;
  readonly node: string;
}

const REFRESH_RECEIPT_FIELDS = [
  'session',
  'partition',
  'startOffset',
  'tenant',
  'namespace',
  'name',
  'version',
  'writeId',
  'generation',
  'index',
  'commitment',
  'node',
] as const satisfies ReadonlyArray<keyof RefreshReceiptFields>;

/** Exactly these fields are signed, whatever else the object carries. */
export function refreshReceiptDigest(clusterId: string, fields: RefreshReceiptFields): Buffer {
  const signed = Object.fromEntries(REFRESH_RECEIPT_FIELDS.map((field) => [field, fields[field]]));
  return digestOf('dsv/refresh-receipt/v1', clusterId, signed);
}
