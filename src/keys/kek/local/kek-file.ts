// dataDir/kek.json: the scrypt salt and parameters and a verifier of the passphrase-derived KEK — never the KEK.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DsvError } from '../../../errors/index.ts';
import { syncDir } from '../../../platform/sync-dir.ts';

export const KEK_FILE_NAME = 'kek.json';
/** The new KEK's file while a KEK rotation is in progress; renamed over kek.json once the keyring commits. */
export const NEXT_KEK_FILE_NAME = 'kek.next.json';
/** Floors and ceilings: a tampered file can neither weaken the KDF nor make unseal exhaust memory. */
export const SCRYPT_MIN_LOG2N = 15;
export const SCRYPT_MAX_LOG2N = 22;

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

export interface KekFile {
  readonly salt: Buffer;
  readonly params: ScryptParams;
  readonly verifier: Buffer;
}

const base64 = z.base64();
const schema = z.object({
  format: z.literal('dsv-local-kek'),
  version: z.literal(1),
  kdf: z.object({
    name: z.literal('scrypt'),
    N: z.number().int(),
    r: z.number().int().min(8).max(32),
    p: z.number().int().min(1).max(16),
    salt: base64,
  }),
  verifier: z.object({ name: z.literal('hmac-sha256-hkdf'), value: base64 }),
  createdAt: z.string(),
});

export function checkScryptParams(params: ScryptParams): void {
  const log2 = Math.log2(params.N);
  const ok =
    Number.isInteger(log2) &&
    log2 >= SCRYPT_MIN_LOG2N &&
    log2 <= SCRYPT_MAX_LOG2N &&
    Number.isInteger(params.r) &&
    params.r >= 8 &&
    params.r <= 32 &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= 16;
  if (!ok) {
    throw new DsvError(
      'DSV_KEK_UNAVAILABLE',
      `Unseal failed: scrypt parameters must be N = 2^${SCRYPT_MIN_LOG2N}..2^${SCRYPT_MAX_LOG2N}, r = 8..32, p = 1..16`,
    );
  }
}

/** Reads a verifier file (kek.json by default), or `undefined` when it does not exist. */
export async function readKekFile(dataDir: string, name = KEK_FILE_NAME): Promise<KekFile | undefined> {
  const path = join(dataDir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DsvError('DSV_KEK_UNAVAILABLE', `Unseal failed: cannot read ${path}`, { cause: error });
  }
  let parsed: z.infer<typeof schema>;
  try {
    parsed = schema.parse(JSON.parse(text));
  } catch {
    throw new DsvError('DSV_KEK_UNAVAILABLE', `Unseal failed: ${path} is not a valid DSV key verifier file`);
  }
  const params = { N: parsed.kdf.N, r: parsed.kdf.r, p: parsed.kdf.p };
  checkScryptParams(params);
  const salt = Buffer.from(parsed.kdf.salt, 'base64');
  const verifier = Buffer.from(parsed.verifier.value, 'base64');
  if (salt.length < 16 || verifier.length !== 32) {
    throw new DsvError('DSV_KEK_UNAVAILABLE', `Unseal failed: ${path} has a malformed salt or verifier`);
  }
  return { salt, params, verifier };
}

export function newSalt(): Buffer {
  return randomBytes(32);
}

/**
 * Writes the file once: temp file, fsync, then link() so a concurrent or crashed first start can never leave
 * a half-written or overwritten verifier. Returns the file that won (ours, or one that appeared meanwhile).
 * The directory is fsynced too: DEKs wrapped under this KEK must never outlive the salt that derives it.
 */
export async function createKekFile(dataDir: string, file: KekFile, name = KEK_FILE_NAME): Promise<KekFile> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, name);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const body = {
    format: 'dsv-local-kek',
    version: 1,
    kdf: { name: 'scrypt', ...file.params, salt: file.salt.toString('base64') },
    verifier: { name: 'hmac-sha256-hkdf', value: file.verifier.toString('base64') },
    createdAt: new Date().toISOString(),
  };
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    await syncDir(dataDir);
    return file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new DsvError('DSV_KEK_UNAVAILABLE', `Unseal failed: cannot write ${path}`, { cause: error });
    }
    const winner = await readKekFile(dataDir, name);
    if (winner === undefined) throw new DsvError('DSV_KEK_UNAVAILABLE', `Unseal failed: ${path} vanished`);
    return winner;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

export function verifierMatches(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
