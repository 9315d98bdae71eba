// The `local` KEK adapter: a KEK derived from an unseal passphrase (scrypt + verifier) or read from a key file.
import { scrypt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../../../errors/index.ts';
import type { KekProvider } from '../kek-provider.ts';
import { computeVerifier, deriveWrapKey } from './kek-derivation.ts';
import {
  DEFAULT_SCRYPT,
  KEK_FILE_NAME,
  checkScryptParams,
  createKekFile,
  newSalt,
  readKekFile,
  verifierMatches,
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
}

export class LocalKekProvider implements KekProvider {
  readonly kind = 'local';
  #wrapKey: Buffer | undefined;

  private constructor(kek: Uint8Array) {
    this.#wrapKey = deriveWrapKey(kek);
  }

  /** Derives the KEK with scrypt; creates dataDir/kek.json on first use, else checks the passphrase against it. */
  static async fromPassphrase(options: PassphraseKekOptions): Promise<LocalKekProvider> {
    const secret = passphraseBytes(options.passphrase);
    try {
      const existing = await readKekFile(options.dataDir);
      if (existing === undefined) {
        const params = options.scrypt ?? DEFAULT_SCRYPT;
        checkScryptParams(params);
        const salt = newSalt();
        const kek = await scryptAsync(secret, salt, params);
        const stored = await createKekFile(options.dataDir, { salt, params, verifier: computeVerifier(kek) });
        // Another process may have created the file first: then our KEK must still match its verifier.
        if (stored.salt.equals(salt)) return LocalKekProvider.#adopt(kek);
        kek.fill(0);
        return await LocalKekProvider.#unseal(secret, stored, options.dataDir);
      }
      return await LocalKekProvider.#unseal(secret, existing, options.dataDir);
    } finally {
      secret.fill(0);
    }
  }

  /** Reads a KEK from a file of exactly 32 raw bytes or 64 hex characters (surrounding whitespace ignored). */
  static async fromKeyFile(path: string): Promise<LocalKekProvider> {
    let raw: Buffer;
    try {
      raw = await readFile(path);
    } catch (error) {
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

  static async #unseal(
    secret: Buffer,
    stored: { salt: Buffer; params: ScryptParams; verifier: Buffer },
    dataDir: string,
  ) {
    const kek = await scryptAsync(secret, stored.salt, stored.params);
    if (!verifierMatches(stored.verifier, computeVerifier(kek))) {
      kek.fill(0);
      throw new DsvError(
        'DSV_KEK_UNAVAILABLE',
        `Unseal failed: the passphrase does not match this node's key verifier (${join(dataDir, KEK_FILE_NAME)})`,
      );
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
