// The node audit secret `<dataDir>/audit/audit.key`: created once (0600) at first start, the root of the
// per-tenant pathHmac keys. Not the KEK; must be backed up with the trail or its HMACs become uncheckable.
// Beside it the audit chain key `audit-chain.key` (same format and rules): the HMAC key of the hash chain.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../errors/index.ts';
import { errnoOf } from '../platform/dir-lock.ts';
import { syncDir } from '../platform/sync-dir.ts';

export const AUDIT_KEY_FILE = 'audit.key';
/** The audit chain key beside it: each format 2 record's hash is an HMAC under it (I-A2). */
export const AUDIT_CHAIN_KEY_FILE = 'audit-chain.key';

interface KeyFile {
  readonly file: string;
  readonly tag: string;
}
const PATH_KEY: KeyFile = { file: AUDIT_KEY_FILE, tag: 'dsv-audit-key-v1' };
const CHAIN_KEY: KeyFile = { file: AUDIT_CHAIN_KEY_FILE, tag: 'dsv-audit-chain-key-v1' };

/** Reads `dir/audit.key`, creating it (32 random bytes, mode 0600, synced) if it does not exist. */
export function loadOrCreateAuditSecret(dir: string): Promise<Buffer> {
  return loadOrCreateKey(dir, PATH_KEY);
}

/** Reads an existing `dir/audit.key` (for `dsv audit` on a copy of a node's trail). */
export function readAuditSecret(dir: string): Promise<Buffer> {
  return readKey(dir, PATH_KEY);
}

/** Reads `dir/audit-chain.key`, creating it (32 random bytes, 0600, synced) if it does not exist. */
export function loadOrCreateAuditChainKey(dir: string): Promise<Buffer> {
  return loadOrCreateKey(dir, CHAIN_KEY);
}

/** Reads an existing `dir/audit-chain.key` (verifying a trail needs it). */
export function readAuditChainKey(dir: string): Promise<Buffer> {
  return readKey(dir, CHAIN_KEY);
}

async function loadOrCreateKey(dir: string, key: KeyFile): Promise<Buffer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, key.file);
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return readKey(dir, key);
  const secret = randomBytes(32);
  // Written whole to a private temp file, then hard-linked into place: link fails with EEXIST atomically,
  // so of two processes starting at once one creates and the other reads a complete key.
  const temp = join(dir, `${key.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${key.tag} ${secret.toString('hex')}\n`, {
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
  return readKey(dir, key);
}

async function readKey(dir: string, key: KeyFile): Promise<Buffer> {
  const path = join(dir, key.file);
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
  const hex = new RegExp(`^${key.tag} ([0-9a-f]{64})\\n?$`).exec(text)?.[1];
  // The message never quotes the file: it is key material.
  if (hex === undefined) throw new DsvError('DSV_AUDIT_UNAVAILABLE', `The audit key ${path} is malformed`);
  return Buffer.from(hex, 'hex');
}

function unavailable(message: string, cause: unknown): DsvError {
  return new DsvError('DSV_AUDIT_UNAVAILABLE', message, { cause });
}
