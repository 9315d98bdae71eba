// Looks for a value in other processes' memory and in files (issue 9: no node process ever holds the
// plaintext in client-side mode). Memory: every readable region of /proc/<pid>/maps, read through
// /proc/<pid>/mem in bounded chunks (reading another process's memory needs ptrace permission: root, or the
// parent under Yama ptrace_scope 1). Files: every regular file under a directory, in the same chunks. Both
// search with Buffer.indexOf, carrying the last bytes of a chunk into the next so that a needle cut by a
// chunk (or by two adjacent regions) is still found.
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One encoding of the value to look for. */
export interface Needle {
  readonly label: string;
  readonly bytes: Buffer;
}

/** Where a needle was found: `where` names the region (address range, permissions, path) or the file. */
export interface Hit {
  readonly needle: string;
  readonly where: string;
  /** Offset from the start of the region or file. */
  readonly offset: number;
}

export interface ScanResult {
  /** Regions (memory) or files read. */
  readonly units: number;
  readonly bytes: number;
  /** What could not be read, with why (e.g. `[vvar]`, a file-backed page past its file's end). */
  readonly skipped: string[];
  readonly hits: Hit[];
}

const CHUNK_BYTES = 8 * 1024 * 1024;
const PAGE = 4096;
/** Hits kept per needle and unit: enough to say where, bounded when a value is everywhere. */
const HITS_PER_NEEDLE = 4;

/**
 * The encodings a node could hold a value in: the raw bytes, hex (both cases), base64 and base64url (with and
 * without padding), and each text form also as UTF-16LE (a V8 two-byte string). Duplicates are dropped
 * (base64url equals base64 when neither `+` nor `/` occurs).
 */
export function valueNeedles(value: Uint8Array): Needle[] {
  const raw = Buffer.from(value);
  const base64 = raw.toString('base64');
  const base64url = raw.toString('base64url');
  const texts: Array<[string, string]> = [
    ['hex', raw.toString('hex')],
    ['HEX', raw.toString('hex').toUpperCase()],
    ['base64', base64],
    ['base64 unpadded', base64.replace(/=+$/, '')],
    ['base64url', base64url],
    ['base64url padded', base64url.padEnd(base64.length, '=')],
  ];
  const all: Needle[] = [
    { label: 'raw bytes', bytes: raw },
    ...texts.map(([label, text]) => ({ label, bytes: Buffer.from(text, 'latin1') })),
    ...texts.map(([label, text]) => ({ label: `${label} (UTF-16LE)`, bytes: Buffer.from(text, 'utf16le') })),
  ];
  const seen = new Set<string>();
  return all.filter((needle) => {
    const key = needle.bytes.toString('hex');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Searches consecutive chunks of one unit; `carry` keeps the bytes a needle may straddle. */
class ChunkSearch {
  private carry = Buffer.alloc(0);
  private carryEnd = -1;
  private readonly overlap: number;
  private readonly needles: readonly Needle[];
  private readonly hits: Hit[];
  constructor(needles: readonly Needle[], hits: Hit[]) {
    this.needles = needles;
    this.hits = hits;
    this.overlap = Math.max(...needles.map((needle) => needle.bytes.length)) - 1;
  }

  /** `position` is the chunk's address or file offset; a chunk not right after the last one drops the carry. */
  feed(chunk: Buffer, position: number, where: string, unitStart: number): void {
    const joined = position === this.carryEnd ? Buffer.concat([this.carry, chunk]) : chunk;
    const joinedStart = position === this.carryEnd ? position - this.carry.length : position;
    for (const needle of this.needles) {
      let from = 0;
      let kept = 0;
      for (;;) {
        const at = joined.indexOf(needle.bytes, from);
        if (at < 0 || kept >= HITS_PER_NEEDLE) break;
        // A hit wholly inside the carry was reported with the previous chunk.
        if (at + needle.bytes.length > joined.length - chunk.length) {
          this.hits.push({ needle: needle.label, where, offset: joinedStart + at - unitStart });
          kept += 1;
        }
        from = at + 1;
      }
    }
    this.carry = Buffer.from(joined.subarray(Math.max(0, joined.length - this.overlap)));
    this.carryEnd = position + chunk.length;
  }

  reset(): void {
    this.carry = Buffer.alloc(0);
    this.carryEnd = -1;
  }
}

/** What one scan has read and found so far, and its chunk buffer. */
class Scan {
  readonly hits: Hit[] = [];
  readonly skipped: string[] = [];
  readonly search: ChunkSearch;
  readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  bytes = 0;
  units = 0;
  constructor(needles: readonly Needle[]) {
    this.search = new ChunkSearch(needles, this.hits);
  }

  /** Searches `length` bytes of the buffer, read at `position` of the unit `where` that starts at `start`. */
  feed(length: number, position: number, where: string, start: number): void {
    this.search.feed(this.buffer.subarray(0, length), position, where, start);
    this.bytes += length;
  }

  result(): ScanResult {
    return { units: this.units, bytes: this.bytes, skipped: this.skipped, hits: this.hits };
  }
}

interface Region {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly path: string;
}

/** The readable regions of /proc/<pid>/maps (addresses past 2^53, i.e. [vsyscall], are left out). */
export async function readableRegions(pid: number): Promise<Region[]> {
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
  const regions: Region[] = [];
  for (const line of maps.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (!match || !match[3]!.startsWith('r')) continue;
    const start = Number.parseInt(match[1]!, 16);
    const end = Number.parseInt(match[2]!, 16);
    if (!Number.isSafeInteger(end)) continue;
    regions.push({ start, end, perms: match[3]!, path: match[4] ?? '' });
  }
  return regions;
}

export interface MemoryScanOptions {
  /** Stop reading (and say so in `skipped`) past this many bytes: a bound, not expected to be reached. */
  readonly maxBytes?: number;
  /**
   * SIGSTOP the process for the scan and SIGCONT it after (also when the scan fails): its regions cannot
   * change between reading its maps and reading them, so none is missed as freed or moved meanwhile.
   */
  readonly freeze?: boolean;
}

/**
 * Reads every readable region of `pid` through /proc/<pid>/mem and searches it. A chunk that fails to read
 * is retried page by page (a file-backed mapping may end past its file), a region whose first page fails is
 * skipped whole ([vvar], guard pages); each is listed in `skipped`.
 */
export async function scanProcessMemory(
  pid: number,
  needles: readonly Needle[],
  options: MemoryScanOptions = {},
): Promise<ScanResult> {
  const maxBytes = options.maxBytes ?? 16 * 1024 ** 3;
  const scan = new Scan(needles);
  if (options.freeze) process.kill(pid, 'SIGSTOP');
  const mem = await open(`/proc/${pid}/mem`, 'r').catch((error: unknown) => {
    if (options.freeze) process.kill(pid, 'SIGCONT');
    throw error;
  });
  try {
    for (const region of await readableRegions(pid)) {
      const where = `${region.start.toString(16)}-${region.end.toString(16)} ${region.perms} ${region.path}`;
      scan.units += 1;
      let lost = 0;
      for (let at = region.start; at < region.end; at += CHUNK_BYTES) {
        if (scan.bytes >= maxBytes) {
          scan.skipped.push(`${where}: past the ${maxBytes}-byte bound`);
          break;
        }
        const length = Math.min(CHUNK_BYTES, region.end - at);
        if ((await readAt(mem, scan.buffer, length, at)) === length) {
          scan.feed(length, at, where, region.start);
          continue;
        }
        // Page by page; if even the first page of the region fails, the region is unreadable.
        if (at === region.start && (await readAt(mem, scan.buffer, PAGE, at)) !== PAGE) {
          lost = region.end - region.start;
          break;
        }
        for (let page = at; page < at + length; page += PAGE) {
          if ((await readAt(mem, scan.buffer, PAGE, page)) === PAGE)
            scan.feed(PAGE, page, where, region.start);
          else lost += PAGE;
        }
      }
      if (lost > 0) scan.skipped.push(`${where}: ${lost} bytes unreadable`);
    }
  } finally {
    await mem.close();
    if (options.freeze) process.kill(pid, 'SIGCONT');
  }
  return scan.result();
}

/** Bytes read at `position` (0 on an error such as EIO): /proc/<pid>/mem reads all or fails. */
async function readAt(
  handle: Awaited<ReturnType<typeof open>>,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<number> {
  try {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  } catch {
    return 0;
  }
}

/** Every regular file under `dir`, recursively (symbolic links are not followed). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(path);
      return entry.isFile() ? [path] : [];
    }),
  );
  return nested.flat();
}

/**
 * Searches every regular file under each directory (SQLite files with their -wal and -shm, logs, the Kafka
 * log segments), in chunks. A file that vanishes or cannot be read meanwhile is listed in `skipped`.
 */
export async function scanFiles(dirs: readonly string[], needles: readonly Needle[]): Promise<ScanResult> {
  const scan = new Scan(needles);
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      scan.search.reset();
      try {
        const handle = await open(file, 'r');
        try {
          for (let at = 0; ;) {
            const { bytesRead } = await handle.read(scan.buffer, 0, CHUNK_BYTES, at);
            if (bytesRead === 0) break;
            scan.feed(bytesRead, at, file, 0);
            at += bytesRead;
          }
        } finally {
          await handle.close();
        }
        scan.units += 1;
      } catch (error) {
        scan.skipped.push(`${file}: ${(error as { code?: string }).code ?? String(error)}`);
      }
    }
  }
  return scan.result();
}

/** `root` and every live process below it (/proc/<pid>/task/<tid>/children), parents first. */
export async function processTree(root: number): Promise<number[]> {
  const found: number[] = [];
  const visit = async (pid: number): Promise<void> => {
    found.push(pid);
    let tasks: string[] = [];
    try {
      tasks = await readdir(`/proc/${pid}/task`);
    } catch {
      return; // exited meanwhile
    }
    const children = new Set<number>();
    for (const task of tasks) {
      const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of text.split(/\s+/).filter(Boolean)) children.add(Number(child));
    }
    for (const child of children) await visit(child);
  };
  await visit(root);
  return found;
}

/** The command line of a process, for reports ('' once it has exited). */
export async function commandLine(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0));
  return raw.toString('utf8').replaceAll('\0', ' ').trim();
}
