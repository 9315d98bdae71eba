// One process owns an embedded log directory: an exclusive `LOCK` file holding the owner's pid.
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DsvError } from '../../errors/index.ts';

const LOCK_FILE = 'LOCK';

export class DirLock {
  readonly path: string;
  #released = false;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Creates `dir/LOCK` exclusively ('wx'). A lock left by a process that is no longer alive is taken over;
   * a live holder — another process, or another open instance in this one — makes this reject with
   * DSV_LOG_UNAVAILABLE, so two writers never append to the same files (I-L1, I-L2).
   */
  static async acquire(dir: string): Promise<DirLock> {
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new DirLock(path);
      } catch (error) {
        if (!hasCode(error, 'EEXIST')) throw unavailable(`Cannot create the commit log lock ${path}`, error);
      }
      const holder = await readHolder(path);
      if (holder === 'gone') continue;
      if (holder !== undefined && isAlive(holder)) {
        const who = holder === process.pid ? 'this process (the log is already open)' : `process ${holder}`;
        throw new DsvError('DSV_LOG_UNAVAILABLE', `Commit log directory ${dir} is locked by ${who}`, {
          details: { pid: holder },
        });
      }
      // An empty lock may be one that another process has created but not written yet: give it a moment.
      if (holder === undefined && attempt < 2) {
        await sleep(50);
        continue;
      }
      await takeOver(path);
    }
    throw new DsvError('DSV_LOG_UNAVAILABLE', `Could not take the commit log lock ${path}`);
  }

  /** Removes the lock file, if it is still ours. Safe to call twice. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if ((await readHolder(this.path)) === process.pid) await rm(this.path, { force: true });
  }
}

/** The pid in the lock file; undefined when unreadable as one; 'gone' when the file vanished meanwhile. */
async function readHolder(path: string): Promise<number | undefined | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return 'gone';
    throw unavailable(`Cannot read the commit log lock ${path}`, error);
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
async function takeOver(path: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw unavailable(`Cannot take over the stale commit log lock ${path}`, error);
  }
  await rm(aside, { force: true });
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function unavailable(message: string, cause: unknown): DsvError {
  return new DsvError('DSV_LOG_UNAVAILABLE', message, { cause });
}
