// The verifier behind `dsv audit verify`: walks a node's trail (all segments, in order) along the hash chain
// and reports the first broken link — modified, removed, reordered or torn.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../errors/index.ts';
import type { AuditReceipt } from './audit-record.ts';
import { checkSegment, GENESIS_STATE, type BrokenLink, type ChainState } from './chain-check.ts';
import { errnoOf } from './jsonl/audit-dir-lock.ts';
import { listSegments, segmentName } from './jsonl/audit-segments.ts';

export interface VerifyAuditTrailOptions {
  /**
   * A head recorded elsewhere earlier (an append's receipt, or a previous verify's head). A hash chain
   * alone cannot notice its last records being cut off cleanly; with an anchor, a trail that ends before
   * it is 'removed' and one whose record at that seq differs is 'modified'.
   */
  readonly expectHead?: AuditReceipt;
}

export interface AuditTrailVerification {
  /** Records that chain correctly from genesis (all of them when nothing is broken). */
  readonly records: number;
  /** The last intact record; undefined for an empty trail. */
  readonly head?: AuditReceipt;
  readonly firstBrokenLink?: BrokenLink;
  /** The files read, in chain order. */
  readonly files: readonly string[];
}

/**
 * `paths`: a node's audit directory (its `audit-NNNNNN.jsonl` segments, in number order), or segment files
 * in chain order. Rejects DSV_INPUT_INVALID when a path does not exist or a directory holds no trail.
 */
export async function verifyAuditTrail(
  paths: string | readonly string[],
  options: VerifyAuditTrailOptions = {},
): Promise<AuditTrailVerification> {
  const files = await resolveFiles(typeof paths === 'string' ? [paths] : paths);
  let state: ChainState = GENESIS_STATE;
  let records = 0;
  let anchored: string | undefined;
  const expect = options.expectHead;
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const check = checkSegment(text, file, state, (record) => {
      if (record.seq === expect?.seq) anchored = record.hash;
    });
    records += check.records;
    state = check.state;
    if (check.broken !== undefined) return result(records, state, files, check.broken);
  }
  if (expect !== undefined && anchored !== expect.hash) {
    const last = files.at(-1) ?? '';
    const broken: BrokenLink =
      anchored === undefined
        ? {
            seq: state.nextSeq,
            reason: 'removed',
            file: last,
            line: 0,
            detail: `the trail ends before seq ${expect.seq}`,
          }
        : {
            seq: expect.seq,
            reason: 'modified',
            file: last,
            line: 0,
            detail: `seq ${expect.seq} differs from the anchor`,
          };
    return result(records, state, files, broken);
  }
  return result(records, state, files, undefined);
}

function result(
  records: number,
  state: ChainState,
  files: readonly string[],
  broken: BrokenLink | undefined,
): AuditTrailVerification {
  const head = state.nextSeq > 0 ? { seq: state.nextSeq - 1, hash: state.prevHash } : undefined;
  return {
    records,
    files,
    ...(head === undefined ? {} : { head }),
    ...(broken === undefined ? {} : { firstBrokenLink: broken }),
  };
}

async function resolveFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (error) {
      const why = errnoOf(error) === 'ENOENT' ? 'does not exist' : 'cannot be read';
      throw new DsvError('DSV_INPUT_INVALID', `Audit path ${path} ${why}`, { cause: error });
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    const segments = await listSegments(path);
    if (segments.length === 0) throw new DsvError('DSV_INPUT_INVALID', `No audit trail in ${path}`);
    files.push(...segments.map((n) => join(path, segmentName(n))));
  }
  return files;
}
