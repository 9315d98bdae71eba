// A node's own audit trail as its online views read it (`/v2/sys/approvals/audit`, the console's path audit):
// the chain is verified once and then only what was appended since, a few thousand lines per event-loop turn,
// one verification at a time however many callers ask; and searched for the records of one tenant by a
// plain string scan, parsing only the lines that can match. Re-verifying every segment on every request let
// one tenant admin stall its node for seconds (the tenant red team's F3).
//
// What it trusts: a segment already verified is re-read from the start when its size or modification time
// changed in any way but growth at the end (a rewrite in place); a tamperer who also restores both is caught
// by `dsv audit verify` with an anchor kept off the node, which these views do not replace.
import { open, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AuditRecord } from './audit-record.ts';
import { AUDIT_CHAIN_KEY_FILE, readAuditChainKey } from './audit-secret.ts';
import { checkSegment, GENESIS_STATE, type BrokenLink, type ChainState } from './chain-check.ts';
import { listSegments, segmentName } from './jsonl/audit-segments.ts';

/** Lines verified per event-loop turn. */
const LINES_PER_TURN = 2_000;

export interface TrailStatus {
  readonly node: string | null;
  /** Records that chain from genesis. */
  readonly records: number;
  readonly firstBrokenLink?: BrokenLink;
  /** The segments, in chain order. */
  readonly files: readonly string[];
}

interface Verified {
  readonly file: string;
  /** Bytes of complete, verified lines, and how many lines. */
  bytes: number;
  lines: number;
  size: number;
  mtimeMs: number;
}

export class AuditTrailFollower {
  readonly #dir: string;
  #chainKey: Buffer | undefined;
  #state: ChainState = GENESIS_STATE;
  #records = 0;
  #node: string | null = null;
  #broken: BrokenLink | undefined;
  #verified: Verified[] = [];
  #running: Promise<TrailStatus> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Verifies what was appended since the last call (callers meanwhile share the one run). */
  status(): Promise<TrailStatus> {
    this.#running ??= this.#catchUp().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * The records of the trail (verified or not) whose line contains `needle` and that `keep` accepts: a
   * string scan of each segment, JSON parsed only where the needle is. At most the last `limit`, and how many.
   */
  async search(
    needle: string,
    keep: (record: AuditRecord) => boolean,
    limit: number,
  ): Promise<{ total: number; records: AuditRecord[] }> {
    const { files } = await this.status();
    const found: AuditRecord[] = [];
    let total = 0;
    for (const file of files) {
      const text = (await readFrom(file, 0)).toString('utf8');
      for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
        const start = text.lastIndexOf('\n', at) + 1;
        const end = text.indexOf('\n', at);
        if (end === -1) break; // a line still being written
        let record: AuditRecord;
        try {
          record = JSON.parse(text.slice(start, end)) as AuditRecord;
        } catch {
          continue; // not a record: the chain check says so
        }
        at = end;
        if (!keep(record)) continue;
        total++;
        found.push(record);
        if (found.length > limit) found.shift();
      }
      await nextTurn();
    }
    return { total, records: found };
  }

  async #catchUp(): Promise<TrailStatus> {
    this.#chainKey ??= existsSync(join(this.#dir, AUDIT_CHAIN_KEY_FILE))
      ? await readAuditChainKey(this.#dir)
      : undefined;
    const files = (await listSegments(this.#dir)).map((n) => join(this.#dir, segmentName(n)));
    if (await this.#rewritten(files)) this.#reset();
    for (const [index, file] of files.entries()) {
      if (this.#broken !== undefined) break;
      const known = this.#verified[index];
      const info = await stat(file);
      const entry = known ?? { file, bytes: 0, lines: 0, size: 0, mtimeMs: 0 };
      if (!known) this.#verified.push(entry);
      if (info.size > entry.bytes) await this.#verifyFrom(entry);
      entry.size = info.size;
      entry.mtimeMs = info.mtimeMs;
    }
    return {
      node: this.#node,
      records: this.#records,
      files,
      ...(this.#broken === undefined ? {} : { firstBrokenLink: this.#broken }),
    };
  }

  /** Whether a segment verified before changed other than by growing at its end (or the list changed). */
  async #rewritten(files: readonly string[]): Promise<boolean> {
    for (const [index, entry] of this.#verified.entries()) {
      if (files[index] !== entry.file) return true;
      const info = await stat(entry.file).catch(() => undefined);
      if (!info || info.size < entry.size) return true;
      const last = index === this.#verified.length - 1;
      if (!last && (info.size !== entry.size || info.mtimeMs !== entry.mtimeMs)) return true;
    }
    return false;
  }

  #reset(): void {
    this.#state = GENESIS_STATE;
    this.#records = 0;
    this.#node = null;
    this.#broken = undefined;
    this.#verified = [];
  }

  /** Verifies the complete lines of `entry` after its verified bytes, a slice of lines per turn. */
  async #verifyFrom(entry: Verified): Promise<void> {
    const text = (await readFrom(entry.file, entry.bytes)).toString('utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1); // a line being written waits for the next call
    let offset = 0;
    while (offset < complete.length && this.#broken === undefined) {
      let end = offset;
      for (let n = 0; n < LINES_PER_TURN && end < complete.length; n++) end = complete.indexOf('\n', end) + 1;
      const slice = complete.slice(offset, end);
      const check = checkSegment(
        slice,
        entry.file,
        this.#state,
        (record) => {
          this.#node ??= record.node;
        },
        this.#chainKey,
      );
      this.#records += check.records;
      this.#state = check.state;
      entry.bytes += check.validBytes;
      if (check.broken) this.#broken = { ...check.broken, line: check.broken.line + entry.lines };
      entry.lines += check.records;
      offset = end;
      await nextTurn();
    }
  }
}

async function readFrom(file: string, position: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - position));
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** One follower per audit directory of this process, so every view and request shares its progress. */
const followers = new Map<string, AuditTrailFollower>();

export function auditTrailFollower(dir: string): AuditTrailFollower {
  let follower = followers.get(dir);
  if (!follower) {
    follower = new AuditTrailFollower(dir);
    followers.set(dir, follower);
  }
  return follower;
}
