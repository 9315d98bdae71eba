// Segment files of a JSON-lines trail (`audit-000000.jsonl`, …): naming, listing, and crash recovery of the
// newest one — a torn last line is dropped and reported, any other break refuses to open (never extend a
// broken chain).
import { constants } from 'node:fs';
import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../../errors/index.ts';
import { checkSegment, GENESIS_STATE, type ChainState } from '../chain-check.ts';
import { syncDir } from '../../platform/sync-dir.ts';
import { SYNCED_WRITES } from '../../platform/durable-file.ts';

const SEGMENT = /^audit-(\d{6,})\.jsonl$/;

export const segmentName = (n: number): string => `audit-${String(n).padStart(6, '0')}.jsonl`;

/** Segment numbers present in `dir`, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .map((name) => SEGMENT.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

export interface RecoveredTail {
  /** Bytes of torn last line dropped on open (0 after a clean shutdown). */
  readonly droppedBytes: number;
  /** The seq the dropped line would have had. */
  readonly atSeq: number;
}

export interface OpenedSegment {
  readonly number: number;
  readonly file: FileHandle;
  readonly size: number;
  readonly state: ChainState;
  readonly recovered: RecoveredTail | undefined;
}

/**
 * Opens the newest segment for appending (creating segment 0 in an empty directory). The whole newest
 * segment is checked against the chain, continuing from the last record of the segment before it.
 */
export async function openNewestSegment(dir: string, chainKey: Buffer): Promise<OpenedSegment> {
  const segments = await listSegments(dir);
  const number = segments.at(-1) ?? 0;
  const start = segments.length >= 2 ? await lastState(dir, segments.at(-2) ?? 0, chainKey) : GENESIS_STATE;
  const path = join(dir, segmentName(number));
  // Every write is durable when it returns (SYNCED_WRITES): the sink acknowledges a batch after its write.
  const file = await open(path, constants.O_RDWR | constants.O_CREAT | SYNCED_WRITES, 0o600);
  try {
    if (segments.length === 0) await syncDir(dir);
    const text = await file.readFile('utf8');
    const check = checkSegment(text, path, start, undefined, chainKey);
    if (check.broken !== undefined && check.broken.reason !== 'torn') throw corrupt(check.broken);
    const size = Buffer.byteLength(text);
    let recovered: RecoveredTail | undefined;
    if (check.validBytes < size) {
      // Only an append that never resolved can be torn (it was not synced): drop it before writing after it.
      await file.truncate(check.validBytes);
      recovered = { droppedBytes: size - check.validBytes, atSeq: check.state.nextSeq };
    }
    // Always: O_DSYNC syncs only the ranges written through it, so bytes already in the segment (written by a
    // process killed before its sync, or copied in) are made durable before anything is appended after them.
    await file.datasync();
    return { number, file, size: check.validBytes, state: check.state, recovered };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** The chain state after a complete (older) segment: its last line must be a whole, valid record. */
async function lastState(dir: string, number: number, chainKey: Buffer): Promise<ChainState> {
  const path = join(dir, segmentName(number));
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.at(-2);
  if (lines.at(-1) !== '' || last === undefined) {
    throw new DsvError('DSV_AUDIT_CORRUPT', `Audit segment ${path} does not end with a complete record`);
  }
  // Checked as a one-line segment whose predecessor is unknown: only its own hash can be verified here.
  let parsed: { seq?: unknown; prevHash?: unknown } = {};
  try {
    parsed = (JSON.parse(last) as typeof parsed | null) ?? {};
  } catch {
    // left empty: the check below reports the line as modified
  }
  const check = checkSegment(
    `${last}\n`,
    path,
    {
      nextSeq: typeof parsed.seq === 'number' ? parsed.seq : -1,
      prevHash: typeof parsed.prevHash === 'string' ? parsed.prevHash : '',
    },
    undefined,
    chainKey,
  );
  if (check.broken !== undefined) throw corrupt(check.broken);
  return check.state;
}

function corrupt(broken: { seq: number; reason: string; file: string; line: number }): DsvError {
  return new DsvError(
    'DSV_AUDIT_CORRUPT',
    `Audit trail ${broken.file} is broken at seq ${broken.seq} (${broken.reason}, line ${broken.line}); ` +
      'run `dsv audit verify`, archive the trail and restore it before this node serves again',
    { details: { seq: broken.seq, reason: broken.reason, line: broken.line } },
  );
}
