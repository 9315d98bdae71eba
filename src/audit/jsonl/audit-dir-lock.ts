// One process writes an audit directory: two writers would fork the hash chain. An exclusive `LOCK` file
// holding the owner's pid; a lock left by a dead process is taken over.
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../../errors/index.ts';

export class AuditDirLock {
  readonly #path: string;
  #released = false;

  private constructor(path: string) {
    this.#path = path;
  }

  static async acquire(dir: string): Promise<AuditDirLock> {
    const path = join(dir, 'LOCK');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new AuditDirLock(path);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw unavailable(`Cannot create the audit lock ${path}`, error);
      }
      const holder = await readFile(path, 'utf8').then(
        (text) => Number(text.trim()),
        () => undefined,
      );
      if (holder !== undefined && Number.isSafeInteger(holder) && holder > 0 && isAlive(holder)) {
        const who = holder === process.pid ? 'this process (the trail is already open)' : `process ${holder}`;
        throw new DsvError('DSV_AUDIT_UNAVAILABLE', `Audit directory ${dir} is locked by ${who}`);
      }
      // Stale (or unreadable): move it aside atomically, so of two processes taking over only one wins.
      const aside = `${path}.stale-${process.pid}-${randomUUID()}`;
      await rename(path, aside).then(
        () => rm(aside, { force: true }),
        () => undefined,
      );
    }
    throw new DsvError('DSV_AUDIT_UNAVAILABLE', `Could not take the audit lock ${path}`);
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const holder = await readFile(this.#path, 'utf8').catch(() => '');
    if (Number(holder.trim()) === process.pid) await rm(this.#path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // existence check only
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}

export function errnoOf(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
}

function unavailable(message: string, cause: unknown): DsvError {
  return new DsvError('DSV_AUDIT_UNAVAILABLE', message, { cause });
}
