// One process owns a directory: an exclusive `LOCK` file holding the owner's pid. The embedded commit log
// (two writers would break I-L1, I-L2) and the audit trail (two writers would fork the hash chain, I-A2)
// each take one; a lock left by a dead process is taken over.
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DsvError } from '../errors/index.ts';

const LOCK_FILE = 'LOCK';

/** Whose lock it is: the words of its messages and the code its errors carry. */
export interface LockOwner {
  /** e.g. "commit log", "audit trail" */
  readonly what: string;
  readonly code: 'DSV_LOG_UNAVAILABLE' | 'DSV_AUDIT_UNAVAILABLE';
}

export class DirLock {
  readonly path: string;
  readonly #owner: LockOwner;
  #released = false;

  private constructor(path: string, owner: LockOwner) {
    this.path = path;
    this.#owner = owner;
  }

  /**
   * Creates `dir/LOCK` exclusively ('wx'). A lock left by a process that is no longer alive is taken over;
   * a live holder — another process, or another open instance in this one — makes this reject with the
   * owner's code (DSV_LOG_UNAVAILABLE, DSV_AUDIT_UNAVAILABLE), so two writers never append to the same files.
   */
  static async acquire(dir: string, owner: LockOwner): Promise<DirLock> {
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new DirLock(path, owner);
      } catch (error) {
        if (!hasCode(error, 'EEXIST'))
          throw unavailable(owner, `Cannot create the ${owner.what} lock ${path}`, error);
      }
      const holder = await readHolder(path, owner);
      if (holder === 'gone') continue;
      if (holder !== undefined && isAlive(holder)) {
        const who =
          holder === process.pid ? `this process (the ${owner.what} is already open)` : `process ${holder}`;
        throw new DsvError(owner.code, `${capitalised(owner.what)} directory ${dir} is locked by ${who}`, {
          details: { pid: holder },
        });
      }
      // An empty lock may be one that another process has created but not written yet: give it a moment.
      if (holder === undefined && attempt < 2) {
        await sleep(50);
        continue;
      }
      await takeOver(path, owner);
    }
    throw new DsvError(owner.code, `Could not take the ${owner.what} lock ${path}`);
  }

  /** Removes the lock file, if it is still ours. Safe to call twice. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const holder = await readHolder(this.path, this.#owner).catch(() => undefined);
    if (holder === process.pid) await rm(this.path, { force: true });
  }
}

/** The pid in the lock file; undefined when unreadable as one; 'gone' when the file vanished meanwhile. */
async function readHolder(path: string, owner: LockOwner): Promise<number | undefined | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return 'gone';
    throw unavailable(owner, `Cannot read the ${owner.what} lock ${path}`, error);
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (error) {
    return hasCode(error, 'EPERM'); // exists, owned by someone else
  }
}

/**
 * Moves the stale lock aside by an atomic rename before deleting it: of two processes taking over at once,
 * only one rename finds the file, and the loser goes back to the exclusive create.
 */
async function takeOver(path: string, owner: LockOwner): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw unavailable(owner, `Cannot take over the stale ${owner.what} lock ${path}`, error);
  }
  await rm(aside, { force: true });
}

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export function errnoOf(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function unavailable(owner: LockOwner, message: string, cause: unknown): DsvError {
  return new DsvError(owner.code, message, { cause });
}
