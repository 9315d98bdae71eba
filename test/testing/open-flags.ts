// The flags this process has each open descriptor of a file with (Linux: /proc/self/fdinfo), so a test can
// show a durable file is opened with SYNCED_WRITES: its writes were acknowledged without an fdatasync.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';

/** The open flags of every descriptor this process holds on `path` (empty when none). */
export function openFlagsOf(path: string): number[] {
  const target = resolve(path);
  const flags: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (the descriptor of readdir itself, for one)
    }
    if (link !== target) continue;
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    const octal = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
    if (octal !== undefined) flags.push(Number.parseInt(octal, 8));
  }
  return flags;
}
