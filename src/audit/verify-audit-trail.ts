// The verifier behind `dsv audit verify`: walks a node's trail (all segments, in order) along the hash chain
// and reports the first broken link — modified, removed, reordered or torn. Keyed (format 2) records are
// checked under the node's chain key; an anchor (a head kept off the node) catches a cut or rewritten tail.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DsvError } from '../errors/index.ts';
import type { AuditReceipt } from './audit-record.ts';
import { AUDIT_CHAIN_KEY_FILE, readAuditChainKey } from './audit-secret.ts';
import { checkSegment, GENESIS_STATE, type BrokenLink, type ChainState } from './chain-check.ts';
import { errnoOf } from '../platform/dir-lock.ts';
import { listSegments, segmentName } from './jsonl/audit-segments.ts';

export interface VerifyAuditTrailOptions {
  /**
   * A head recorded elsewhere earlier (an append's receipt, or a previous verify's head). A hash chain
   * alone cannot notice its last records being cut off cleanly; with an anchor, a trail that ends before
   * it is 'removed' and one whose record at that seq differs is 'modified'.
   */
  readonly expectHead?: AuditReceipt & { readonly node?: string };
  /** The chain key; default the `audit-chain.key` beside the trail (needed when it has format 2 records). */
  readonly chainKey?: Buffer;
}

/** A head kept off the node (`dsv audit head`), to check later that the trail still holds it. */
export interface AuditAnchor extends AuditReceipt {
  readonly node: string;
  readonly time: string;
}

export interface AuditTrailVerification {
  /** Records that chain correctly from genesis (all of them when nothing is broken). */
  readonly records: number;
  /** The last intact record; undefined for an empty trail. */
  readonly head?: AuditReceipt;
  /** The node id of the trail's first intact record. */
  readonly node?: string;
  /** The head as an anchor (`dsv audit head`): seq, hash, node and time of the last intact record. */
  readonly anchor?: AuditAnchor;
  /** Intact records of the old unkeyed format 1: their chain proves order, not who wrote it. */
  readonly unkeyedRecords: number;
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
  const list = typeof paths === 'string' ? [paths] : paths;
  const files = await resolveFiles(list);
  const chainKey = options.chainKey ?? (await chainKeyBeside(list, files));
  let state: ChainState = GENESIS_STATE;
  const seen: Seen = { records: 0, unkeyed: 0 };
  let anchored: string | undefined;
  const expect = options.expectHead;
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const check = checkSegment(
      text,
      file,
      state,
      (record) => {
        if (record.seq === expect?.seq) anchored = record.hash;
        seen.node ??= record.node;
        if (record.v === undefined) seen.unkeyed++;
        seen.last = record;
      },
      chainKey,
    );
    seen.records += check.records;
    state = check.state;
    if (check.broken !== undefined) return result(seen, state, files, check.broken);
  }
  const last = files.at(-1) ?? '';
  if (expect?.node !== undefined && seen.node !== undefined && expect.node !== seen.node) {
    const detail = `the anchor is for ${expect.node}, this trail is ${seen.node}`;
    return result(seen, state, files, { seq: expect.seq, reason: 'modified', file: last, line: 0, detail });
  }
  if (expect !== undefined && anchored !== expect.hash) {
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
    return result(seen, state, files, broken);
  }
  return result(seen, state, files, undefined);
}

interface Seen {
  records: number;
  unkeyed: number;
  node?: string;
  last?: { seq: number; hash: string; node: string; time: string };
}

function result(
  seen: Seen,
  state: ChainState,
  files: readonly string[],
  broken: BrokenLink | undefined,
): AuditTrailVerification {
  const head = state.nextSeq > 0 ? { seq: state.nextSeq - 1, hash: state.prevHash } : undefined;
  const last = seen.last;
  return {
    records: seen.records,
    unkeyedRecords: seen.unkeyed,
    files,
    ...(head === undefined ? {} : { head }),
    ...(seen.node === undefined ? {} : { node: seen.node }),
    ...(last === undefined
      ? {}
      : { anchor: { seq: last.seq, hash: last.hash, node: last.node, time: last.time } }),
    ...(broken === undefined ? {} : { firstBrokenLink: broken }),
  };
}

/** The `audit-chain.key` of the trail's directory (or of its first file's), when there is one. */
async function chainKeyBeside(
  paths: readonly string[],
  files: readonly string[],
): Promise<Buffer | undefined> {
  const first = paths[0];
  if (first === undefined) return undefined;
  const dir = files[0] === first ? dirname(first) : first;
  return existsSync(join(dir, AUDIT_CHAIN_KEY_FILE)) ? readAuditChainKey(dir) : undefined;
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
