// The node audit secret `<dataDir>/audit/audit.key`: created once (0600) at first start, the root of the
// per-tenant pathHmac keys. Not the KEK; must be backed up with the trail or its HMACs become uncheckable.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../errors/index.ts';
import { errnoOf } from './jsonl/audit-dir-lock.ts';
import { syncDir } from './jsonl/audit-segments.ts';

export const AUDIT_KEY_FILE = 'audit.key';
const FORMAT = /^dsv-audit-key-v1 ([0-9a-f]{64})\n?$/;

/** Reads `dir/audit.key`, creating it (32 random bytes, mode 0600, synced) if it does not exist. */
export async function loadOrCreateAuditSecret(dir: string): Promise<Buffer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, AUDIT_KEY_FILE);
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return readAuditSecret(dir);
  const secret = randomBytes(32);
  // Written whole to a private temp file, then hard-linked into place: link fails with EEXIST atomically,
  // so of two processes starting at once one creates and the other reads a complete key.
  const temp = join(dir, `${AUDIT_KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `dsv-audit-key-v1 ${secret.toString('hex')}\n`, {
      flag: 'wx',
      mode: 0o600,
      flush: true,
    });
    await link(temp, path);
    await syncDir(dir);
    return secret;
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw unavailable(`Cannot create the audit key ${path}`, error);
  } finally {
    await rm(temp, { force: true });
  }
  return readAuditSecret(dir);
}

/** Reads an existing `dir/audit.key` (for `dsv audit` on a copy of a node's trail). */
export async function readAuditSecret(dir: string): Promise<Buffer> {
  const path = join(dir, AUDIT_KEY_FILE);
  let text: string;
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      throw new DsvError(
        'DSV_AUDIT_UNAVAILABLE',
        `The audit key ${path} is readable by group or others; run chmod 600 on it`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof DsvError) throw error;
    throw unavailable(`Cannot read the audit key ${path}`, error);
  }
  const hex = FORMAT.exec(text)?.[1];
  // The message never quotes the file: it is key material.
  if (hex === undefined) throw new DsvError('DSV_AUDIT_UNAVAILABLE', `The audit key ${path} is malformed`);
  return Buffer.from(hex, 'hex');
}

function unavailable(message: string, cause: unknown): DsvError {
  return new DsvError('DSV_AUDIT_UNAVAILABLE', message, { cause });
}
