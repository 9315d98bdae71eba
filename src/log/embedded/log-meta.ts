// META.json of an embedded log directory: its format and partition count, checked on every open, plus the
// directory fsync that makes newly created files durable.
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../../errors/index.ts';

const META_FILE = 'META.json';
/** A random id made once per directory: a node pins it, so another directory is noticed (I-L8). */
const LOG_ID_FILE = 'LOG_ID';
const FORMAT = 'dsv-embedded-commit-log';
const VERSION = 1;

interface LogMeta {
  readonly format: string;
  readonly version: number;
  readonly partitionCount: number;
}

/** Writes META.json for a new directory; for an existing one, refuses a different partition count. */
export async function checkOrWriteMeta(dir: string, partitionCount: number): Promise<void> {
  const path = join(dir, META_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new DsvError('DSV_LOG_UNAVAILABLE', `Cannot read ${path}`, { cause: error });
    }
  }
  if (text === undefined) {
    const meta: LogMeta = { format: FORMAT, version: VERSION, partitionCount };
    const temp = `${path}.tmp`;
    await writeFile(temp, `${JSON.stringify(meta)}\n`, { mode: 0o600, flush: true });
    await rename(temp, path);
    return;
  }
  const meta = parseMeta(text, path);
  if (meta.partitionCount !== partitionCount) {
    // Records are routed by partition: opening with another count would send a tenant to a new partition.
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `Commit log ${dir} has ${meta.partitionCount} partitions, not ${partitionCount}; the count is fixed`,
      { details: { partitionCount: meta.partitionCount } },
    );
  }
}

function parseMeta(text: string, path: string): LogMeta {
  try {
    const meta = JSON.parse(text) as Partial<LogMeta>;
    if (meta.format === FORMAT && meta.version === VERSION && Number.isSafeInteger(meta.partitionCount)) {
      return meta as LogMeta;
    }
  } catch {
    // reported below
  }
  throw new DsvError(
    'DSV_LOG_CORRUPT',
    `${path} is not a version ${VERSION} embedded commit log description`,
  );
}

/** The directory's log id, created (random UUID, via temp + rename) on the first open and kept after. */
export async function loadOrCreateLogId(dir: string): Promise<string> {
  const path = join(dir, LOG_ID_FILE);
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
    throw new DsvError('DSV_LOG_CORRUPT', `${path} does not hold a log id`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof DsvError) throw error;
      throw new DsvError('DSV_LOG_UNAVAILABLE', `Cannot read ${path}`, { cause: error });
    }
  }
  const id = randomUUID();
  const temp = `${path}.tmp`;
  await writeFile(temp, `${id}\n`, { mode: 0o600, flush: true });
  await rename(temp, path);
  return id;
}
