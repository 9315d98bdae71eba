// Log records in and out (trust-boundaries design §2): entries are sealed and signed by this node on the way
// in; on the way out a record counts only if its envelope verifies and its body matches the schema (I-L5, I-L6).
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { DsvError } from '../errors/index.ts';
import { BoundedMemo } from '../kernel/bounded-memo.ts';
import {
  canonicalJson,
  RecordOpener,
  sealRecord,
  type ClusterManifest,
  type RecordRejection,
  type RecordSigner,
} from '../trust/index.ts';
import type { LogEntry, SignedEntry } from './log-entry.ts';
import { parseLogEntry } from './log-schema.ts';

export type DecodeRejection = RecordRejection | 'schema';

export type DecodedRecord = SignedEntry | { readonly rejected: DecodeRejection };

type OpenedRecord = Omit<SignedEntry, 'timestamp'> | { readonly rejected: DecodeRejection };

/**
 * Records decoded by the codecs of this process that open records alike: `dsv dev`'s nodes all apply every
 * record, and opening it (signature, AES-GCM, JSON, schema) is a pure function of the manifest, the log key,
 * the partition and the bytes — so the second and third node take the first one's answer (issue #10). The key
 * holds all four (the bytes by SHA-256), so a codec with another manifest or key never shares an answer;
 * shared entries are frozen, so no node can change what another applies (I-V1: the view is a function of the
 * log alone).
 */
const sharedDecodes = new BoundedMemo<OpenedRecord>(8192);

export class LogCodec {
  readonly manifest: ClusterManifest;
  /** A KeyObject made once: a raw key is re-imported by every cipher node:crypto makes. */
  private readonly logKey: KeyObject;
  private readonly signer: RecordSigner | undefined;
  private readonly opener: RecordOpener;

  /** The manifest and log key this codec opens records under, as the shared memo's scope (when it shares). */
  private readonly decodeScope: string | undefined;

  constructor(
    manifest: ClusterManifest,
    logKey: Uint8Array,
    signer?: RecordSigner,
    options: { readonly shareDecodes?: boolean } = {},
  ) {
    this.manifest = manifest;
    this.logKey = createSecretKey(logKey);
    this.signer = signer;
    this.opener = new RecordOpener(manifest, logKey);
    this.decodeScope = options.shareDecodes
      ? createHash('sha256')
          .update('dsv log-codec decode scope\0')
          .update(canonicalJson(manifest))
          .update('\0')
          .update(logKey)
          .digest('base64')
      : undefined;
  }

  get signerId(): string | undefined {
    return this.signer?.signer;
  }

  encode(partition: number, entry: LogEntry): Uint8Array {
    if (!this.signer) throw new Error('this log codec cannot sign');
    // I-L6 on the way in: the names a request brings (tenant, namespaces, names) are within what every node's
    // schema accepts, so input that slipped past a route's checks is the caller's error (400), not a record
    // every node refuses and its writer then cannot find. Only these fields: a full schema parse on every
    // append measured about 10 % of a create at c=32 (issue #10); the routes validate the rest.
    if (!namesRecordable(entry))
      throw new DsvError('DSV_INPUT_INVALID', 'A name in the request is empty or too long to be recorded');
    return sealRecord(this.signer, this.manifest, this.logKey, partition, entry);
  }

  decode(partition: number, value: Uint8Array, timestamp: number): DecodedRecord {
    const scope = this.decodeScope;
    const opened =
      scope === undefined
        ? this.open(partition, value)
        : sharedDecodes.getOrCompute(
            `${scope}:${partition}:${createHash('sha256').update(value).digest('base64')}`,
            () => deepFreeze(this.open(partition, value)),
          );
    return 'rejected' in opened ? opened : { ...opened, timestamp };
  }

  private open(partition: number, value: Uint8Array): OpenedRecord {
    const opened = this.opener.open(partition, value);
    if (!opened.ok) return { rejected: opened.reason };
    const entry = parseLogEntry(opened.body);
    if (!entry) return { rejected: 'schema' };
    return { signer: opened.signer, entry };
  }
}

/** The log schema's bound on a name (log-schema.ts `text`). */
const MAX_RECORDED_NAME = 1024;

const recordable = (text: unknown): boolean =>
  typeof text !== 'string' || (text.length > 0 && text.length <= MAX_RECORDED_NAME);

/** Whether the request-supplied names of `entry` are within the schema's bounds (an absent one is not checked). */
function namesRecordable(entry: LogEntry): boolean {
  const { tenant } = entry as { tenant?: unknown };
  if (!recordable(tenant)) return false;
  if (entry.type !== 'intent') return true;
  return entry.ops.every((op) => recordable(op.namespace) && recordable(op.name));
}

/** Freezes a parsed record all the way down (plain objects and arrays: what JSON and the schema make). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
