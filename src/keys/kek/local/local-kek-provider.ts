// The `local` KEK adapter: a KEK derived from an unseal passphrase (scrypt + verifier) or read from a key file.
import { scrypt } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../../../errors/index.ts';
import type { KekProvider } from '../kek-provider.ts';
import { computeVerifier, deriveWrapKey, localKekRef } from './kek-derivation.ts';
import {
  DEFAULT_SCRYPT,
  KEK_FILE_NAME,
  NEXT_KEK_FILE_NAME,
  checkScryptParams,
  createKekFile,
  newSalt,
  readKekFile,
  verifierMatches,
  type KekFile,
  type ScryptParams,
} from './kek-file.ts';
import { unwrapWithKey, wrapWithKey } from './local-wrap-format.ts';

const KEK_LENGTH = 32;

function scryptAsync(passphrase: Buffer, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs ~128·N·r bytes; leave headroom so the default 32 MiB cap does not refuse valid parameters.
  const maxmem = 256 * params.N * params.r * params.p;
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, KEK_LENGTH, { ...params, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function passphraseBytes(passphrase: string | Uint8Array): Buffer {
  // NFC so the same passphrase typed on different terminals or put in a file derives the same KEK.
  const bytes =
    typeof passphrase === 'string'
      ? Buffer.from(passphrase.normalize('NFC'), 'utf8')
      : Buffer.from(passphrase);
  if (bytes.length === 0)
    throw new DsvError('DSV_KEK_UNAVAILABLE', 'Unseal failed: the unseal passphrase is empty');
  return bytes;
}

export interface PassphraseKekOptions {
  readonly dataDir: string;
  readonly passphrase: string | Uint8Array;
  /** Only used when kek.json is created; an existing file's parameters always win. */
  readonly scrypt?: ScryptParams;
  /** Whether a node with neither kek.json nor kek.next.json gets a new kek.json (first start); default true. */
  readonly create?: boolean;
}

export class LocalKekProvider implements KekProvider {
  readonly kind = 'local';
  /** Which KEK this is, for the keyring's `kek_ref` (a hash of the verifier, never of the key; I-K1). */
  readonly ref: string;
  #wrapKey: Buffer | undefined;

  private constructor(kek: Uint8Array) {
    this.#wrapKey = deriveWrapKey(kek);
    this.ref = localKekRef(computeVerifier(kek));
  }

  /**
   * Unseals with a passphrase. Checks it against kek.json, and — while a KEK rotation is in progress — against
   * kek.next.json too: the keyring then decides which of the two KEKs owns the data keys (see
   * docs/design/2026_11_21_implemented_key-rotation-and-shred.md, "Unseal rules"). Creates kek.json only
   * on a first start, when neither file exists.
   */
  static async fromPassphrase(options: PassphraseKekOptions): Promise<LocalKekProvider> {
    const secret = passphraseBytes(options.passphrase);
    try {
      const { dataDir } = options;
      const current = await readKekFile(dataDir);
      const next = await readKekFile(dataDir, NEXT_KEK_FILE_NAME);
      if (current === undefined && next === undefined) {
        if (options.create === false) {
          throw new DsvError(
            'DSV_KEK_UNAVAILABLE',
            `Unseal failed: ${join(dataDir, KEK_FILE_NAME)} does not exist (is this node sealed by a key file?)`,
          );
        }
        return await LocalKekProvider.#create(secret, dataDir, options.scrypt, KEK_FILE_NAME);
      }
      for (const stored of [current, next]) {
        if (stored === undefined) continue;
        const provider = await LocalKekProvider.#unseal(secret, stored);
        if (provider !== undefined) return provider;
      }
      const names = [current && KEK_FILE_NAME, next && NEXT_KEK_FILE_NAME].filter(Boolean).join(' or ');
      throw new DsvError(
        'DSV_KEK_UNAVAILABLE',
        `Unseal failed: the passphrase does not match this node's key verifier (${names} in ${dataDir})`,
      );
    } finally {
      secret.fill(0);
    }
  }

  /**
   * The KEK of exactly one verifier file, created (fresh salt) if absent: how a KEK rotation makes its target
   * (kek.next.json). Never falls back to another file.
   */
  static async fromPassphraseFile(
    options: Omit<PassphraseKekOptions, 'create'> & { readonly fileName: string },
  ): Promise<LocalKekProvider> {
    const secret = passphraseBytes(options.passphrase);
    try {
      const stored = await readKekFile(options.dataDir, options.fileName);
      if (stored === undefined) {
        return await LocalKekProvider.#create(secret, options.dataDir, options.scrypt, options.fileName);
      }
      const provider = await LocalKekProvider.#unseal(secret, stored);
      if (provider !== undefined) return provider;
      throw new DsvError(
        'DSV_KEK_UNAVAILABLE',
        `Unseal failed: the passphrase does not match this node's key verifier (${join(options.dataDir, options.fileName)})`,
      );
    } finally {
      secret.fill(0);
    }
  }

  /** Reads a KEK from a file of exactly 32 raw bytes or 64 hex characters (surrounding whitespace ignored). */
  static async fromKeyFile(path: string): Promise<LocalKekProvider> {
    let raw: Buffer;
    try {
      // A key file others can read or write is no key: refuse it (sealed, exit 2) rather than use it.
      const { mode } = await stat(path);
      if ((mode & 0o077) !== 0) {
        throw new DsvError(
          'DSV_KEK_UNAVAILABLE',
          `Unseal failed: key file ${path} is readable or writable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
        );
      }
      raw = await readFile(path);
    } catch (error) {
      if (error instanceof DsvError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new DsvError('DSV_KEK_UNAVAILABLE', `Unseal failed: cannot read key file ${path} (${code})`, {
        cause: error,
      });
    }
    try {
      if (raw.length === KEK_LENGTH) return LocalKekProvider.#adopt(raw);
      const text = raw.toString('latin1').trim();
      if (/^[0-9a-fA-F]{64}$/.test(text)) return LocalKekProvider.#adopt(Buffer.from(text, 'hex'));
      throw new DsvError(
        'DSV_KEK_UNAVAILABLE',
        `Unseal failed: key file ${path} must hold exactly 32 raw bytes or 64 hex characters (it has ${raw.length} bytes)`,
      );
    } finally {
      raw.fill(0);
    }
  }

  /** First use of a verifier file: new salt, derive, write the file (or adopt one a racing start wrote). */
  static async #create(
    secret: Buffer,
    dataDir: string,
    requested: ScryptParams | undefined,
    fileName: string,
  ): Promise<LocalKekProvider> {
    const params = requested ?? DEFAULT_SCRYPT;
    checkScryptParams(params);
    const salt = newSalt();
    const kek = await scryptAsync(secret, salt, params);
    const stored = await createKekFile(dataDir, { salt, params, verifier: computeVerifier(kek) }, fileName);
    // Another process may have created the file first: then our KEK must still match its verifier.
    if (stored.salt.equals(salt)) return LocalKekProvider.#adopt(kek);
    kek.fill(0);
    const provider = await LocalKekProvider.#unseal(secret, stored);
    if (provider !== undefined) return provider;
    throw new DsvError(
      'DSV_KEK_UNAVAILABLE',
      `Unseal failed: the passphrase does not match this node's key verifier (${join(dataDir, fileName)})`,
    );
  }

  /** The KEK if the passphrase matches this verifier file, else `undefined`. */
  static async #unseal(secret: Buffer, stored: KekFile): Promise<LocalKekProvider | undefined> {
    const kek = await scryptAsync(secret, stored.salt, stored.params);
    if (!verifierMatches(stored.verifier, computeVerifier(kek))) {
      kek.fill(0);
      return undefined;
    }
    return LocalKekProvider.#adopt(kek);
  }

  static #adopt(kek: Buffer): LocalKekProvider {
    try {
      return new LocalKekProvider(kek);
    } finally {
      kek.fill(0);
    }
  }

  #key(): Buffer {
    if (this.#wrapKey === undefined)
      throw new DsvError('DSV_KEK_UNAVAILABLE', 'The local KEK provider is closed');
    return this.#wrapKey;
  }

  async wrap(dek: Uint8Array): Promise<Uint8Array> {
    return wrapWithKey(this.#key(), dek);
  }

  async unwrap(wrapped: Uint8Array): Promise<Uint8Array> {
    return unwrapWithKey(this.#key(), wrapped);
  }

  async close(): Promise<void> {
    this.#wrapKey?.fill(0);
    this.#wrapKey = undefined;
  }

  /** Keeps key bytes out of logs and inspection (I-K1). */
  toJSON(): { kind: string } {
    return { kind: this.kind };
  }
}
