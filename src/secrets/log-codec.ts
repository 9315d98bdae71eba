// Log records in and out (trust-boundaries design §2): entries are sealed and signed by this node on the way
// in; on the way out a record counts only if its envelope verifies and its body matches the schema (I-L5, I-L6).
import { createSecretKey, type KeyObject } from 'node:crypto';
import {
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

export class LogCodec {
  readonly manifest: ClusterManifest;
  /** A KeyObject made once: a raw key is re-imported by every cipher node:crypto makes. */
  private readonly logKey: KeyObject;
  private readonly signer: RecordSigner | undefined;
  private readonly opener: RecordOpener;

  constructor(manifest: ClusterManifest, logKey: Uint8Array, signer?: RecordSigner) {
    this.manifest = manifest;
    this.logKey = createSecretKey(logKey);
    this.signer = signer;
    this.opener = new RecordOpener(manifest, logKey);
  }

  get signerId(): string | undefined {
    return this.signer?.signer;
  }

  encode(partition: number, entry: LogEntry): Uint8Array {
    if (!this.signer) throw new Error('this log codec cannot sign');
    return sealRecord(this.signer, this.manifest, this.logKey, partition, entry);
  }

  decode(partition: number, value: Uint8Array, timestamp: number): DecodedRecord {
    const opened = this.opener.open(partition, value);
    if (!opened.ok) return { rejected: opened.reason };
    const entry = parseLogEntry(opened.body);
    if (!entry) return { rejected: 'schema' };
    return { signer: opened.signer, entry, timestamp };
  }
}
