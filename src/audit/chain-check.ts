// Walks lines of the trail against the hash chain and names the first broken link (used by the verifier and
// by the sink's recovery, so both judge a trail the same way).
import { createSecretKey, KeyObject } from 'node:crypto';
import {
  GENESIS_HASH,
  hashRecord,
  parseRecordLine,
  type AuditChainKey,
  type AuditRecord,
} from './audit-record.ts';

export type BrokenLinkReason = 'modified' | 'removed' | 'reordered' | 'torn';

export interface BrokenLink {
  /** The seq the chain expected at the break (the first record that is not what it should be). */
  readonly seq: number;
  readonly reason: BrokenLinkReason;
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  /** A safe explanation (records hold no secret material, so neither does this). */
  readonly detail: string;
}

export interface ChainState {
  readonly nextSeq: number;
  readonly prevHash: string;
  /** A keyed (format 2) record has been seen: an unkeyed one after it is a downgrade, i.e. 'modified'. */
  readonly keyed?: boolean;
}

export const GENESIS_STATE: ChainState = { nextSeq: 0, prevHash: GENESIS_HASH };

export interface SegmentCheck {
  readonly state: ChainState;
  /** Records that chained correctly before any break. */
  readonly records: number;
  /** Byte length of the intact prefix: complete, chained lines only. */
  readonly validBytes: number;
  readonly broken?: BrokenLink;
}

/**
 * Checks one segment's bytes, continuing from `start`. Each line must be a canonical record whose hash
 * matches its content (else 'modified'), whose seq is the next one (a later seq is 'removed' unless the
 * missing one appears further on, then 'reordered'; an earlier seq is 'reordered') and whose prevHash is
 * the previous record's hash (else 'removed': the record it chained to is gone or was replaced). Bytes after
 * the last newline are a torn write ('torn').
 */
export function checkSegment(
  text: string,
  file: string,
  start: ChainState,
  visit?: (record: AuditRecord) => void,
  chainKey?: AuditChainKey,
): SegmentCheck {
  const key = chainKey === undefined || chainKey instanceof KeyObject ? chainKey : createSecretKey(chainKey);
  const lines = text.split('\n');
  const tail = lines.pop() ?? ''; // '' when the text ends with a newline (or is empty)
  let state = start;
  let validBytes = 0;
  const breakAt = (index: number, reason: BrokenLinkReason, detail: string): SegmentCheck => ({
    state,
    records: index,
    validBytes,
    broken: { seq: state.nextSeq, reason, file, line: index + 1, detail },
  });
  const parsed: Array<AuditRecord | undefined> = lines.map((line) => {
    const result = parseRecordLine(line);
    return 'record' in result ? result.record : undefined;
  });
  for (let i = 0; i < lines.length; i++) {
    const record = parsed[i];
    if (record === undefined) {
      const result = parseRecordLine(lines[i] ?? '');
      return breakAt(
        i,
        'modified',
        `line is not a canonical audit record (${'problem' in result ? result.problem : ''})`,
      );
    }
    const { hash, ...unsealed } = record;
    if (record.v === undefined && state.keyed === true)
      return breakAt(i, 'modified', 'an unkeyed (format 1) record after keyed ones');
    // Format 2: an HMAC under the chain key, so a chain recomputed without the key does not verify.
    if (hashRecord(unsealed, key) !== hash) return breakAt(i, 'modified', 'hash does not match the record');
    if (record.seq > state.nextSeq) {
      const later = parsed.slice(i + 1).some((r) => r?.seq === state.nextSeq);
      return later
        ? breakAt(i, 'reordered', `seq ${record.seq} comes before seq ${state.nextSeq}`)
        : breakAt(i, 'removed', `seq ${state.nextSeq} is missing (next is ${record.seq})`);
    }
    if (record.seq < state.nextSeq) return breakAt(i, 'reordered', `seq ${record.seq} appears out of order`);
    if (record.prevHash !== state.prevHash)
      return breakAt(i, 'removed', 'prevHash does not match the previous record');
    state = { nextSeq: record.seq + 1, prevHash: hash, keyed: record.v !== undefined };
    visit?.(record);
    validBytes += Buffer.byteLength(lines[i] ?? '') + 1;
  }
  if (tail !== '') return breakAt(lines.length, 'torn', 'the last line is incomplete (torn write)');
  return { state, records: lines.length, validBytes };
}
