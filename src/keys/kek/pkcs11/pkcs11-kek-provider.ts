// The `pkcs11` KEK adapter: DEKs are wrapped and unwrapped by an AES-256 key that never leaves the HSM.
import { randomBytes } from 'node:crypto';
import type { KekProvider } from '../kek-provider.ts';
import { ckrName, type Handle } from './pkcs11-binding.ts';
import { hsmGcmDecrypt, hsmGcmEncrypt } from './pkcs11-gcm.ts';
import { Pkcs11Module, describeFailure, unavailable } from './pkcs11-module.ts';
import { findKey, findSlot, generateKey, tokenName, type TokenSelector } from './pkcs11-token.ts';
import { IV_BYTES, decodeWrapped, encodeWrapped, unwrapFailed, wrapAad } from './pkcs11-wrap-format.ts';

export type Pkcs11KekOptions = TokenSelector & {
  /** Path of the vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly modulePath: string;
  /** The token's user PIN. Used for C_Login only; never stored, logged or put in a message. */
  readonly pin: string;
  /** CKA_LABEL of the AES-256 KEK object on the token. */
  readonly keyLabel: string;
  /** Generate the KEK inside the token when no key has this label (default false: a missing key is an error). */
  readonly createKeyIfMissing?: boolean;
};

/** Return values that mean the HSM, token or session is gone, not that the wrapped bytes are bad. */
const UNAVAILABLE_CKRS = new Set([
  'CKR_CRYPTOKI_NOT_INITIALIZED',
  'CKR_DEVICE_ERROR',
  'CKR_DEVICE_MEMORY',
  'CKR_DEVICE_REMOVED',
  'CKR_HOST_MEMORY',
  'CKR_KEY_HANDLE_INVALID',
  'CKR_OBJECT_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_USER_NOT_LOGGED_IN',
]);

interface OpenState {
  readonly module: Pkcs11Module;
  readonly slot: Handle;
  readonly session: Handle;
  readonly key: Handle;
}

export class Pkcs11KekProvider implements KekProvider {
  readonly kind = 'pkcs11';
  readonly #name: string;
  #state: OpenState | undefined;

  private constructor(state: OpenState, name: string) {
    this.#state = state;
    this.#name = name;
  }

  /**
   * Loads the module, opens a session on the token, logs in and finds (or, when allowed, generates) the KEK.
   * Every failure is DSV_KEK_UNAVAILABLE naming the cause: module, token, PIN, key or mechanism.
   */
  static async open(options: Pkcs11KekOptions): Promise<Pkcs11KekProvider> {
    if (options.pin === '') throw unavailable('the PIN is empty');
    if (options.keyLabel === '') throw unavailable('the key label is empty');
    const module = Pkcs11Module.acquire(options.modulePath);
    const token = tokenName(options);
    return module.queue.run(() => {
      const { ck, lib } = module;
      let session: Handle | undefined;
      let slot: Handle | undefined;
      let loggedIn = false;
      try {
        slot = findSlot(module, options);
        checkMechanism(module, slot, token);
        try {
          session = lib.C_OpenSession(slot, ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION);
        } catch (error) {
          throw unavailable(describeFailure(`opening a session on token ${token}`, error), error);
        }
        module.login(slot, session, options.pin, token);
        loggedIn = true;
        let key = findKey(module, session, options.keyLabel);
        if (key === undefined) {
          if (options.createKeyIfMissing !== true) {
            throw unavailable(
              `no AES key labelled '${options.keyLabel}' on token ${token} (and createKeyIfMissing is off)`,
            );
          }
          key = generateKey(module, session, options.keyLabel);
        }
        return new Pkcs11KekProvider(
          { module, slot, session, key },
          `'${options.keyLabel}' on token ${token}`,
        );
      } catch (error) {
        if (loggedIn && slot !== undefined && session !== undefined) module.logout(slot, session);
        if (session !== undefined) closeQuietly(module, session);
        module.release();
        throw error;
      }
    });
  }

  #open(): OpenState {
    if (this.#state === undefined) throw unavailable('the provider is closed');
    return this.#state;
  }

  /** AES-256-GCM inside the HSM with a fresh random 96-bit IV; the header bytes are authenticated (I-K2). */
  async wrap(dek: Uint8Array): Promise<Uint8Array> {
    const state = this.#open();
    const iv = randomBytes(IV_BYTES);
    const plaintext = Buffer.from(dek.buffer, dek.byteOffset, dek.byteLength);
    return state.module.queue.run(async () => {
      const { module, session, key } = this.#open();
      try {
        return encodeWrapped(iv, await hsmGcmEncrypt(module, session, key, iv, wrapAad(), plaintext));
      } catch (error) {
        throw unavailable(describeFailure(`wrapping with key ${this.#name}`, error), error);
      }
    });
  }

  /** Tampered, truncated or foreign bytes: DSV_KEY_UNWRAP_FAILED; an unreachable HSM: DSV_KEK_UNAVAILABLE. */
  async unwrap(wrapped: Uint8Array): Promise<Uint8Array> {
    const state = this.#open();
    const { iv, sealed } = decodeWrapped(wrapped);
    return state.module.queue.run(async () => {
      const { module, session, key } = this.#open();
      try {
        return await hsmGcmDecrypt(module, session, key, iv, wrapAad(), sealed);
      } catch (error) {
        const ckr = ckrName(error);
        if (ckr !== undefined && UNAVAILABLE_CKRS.has(ckr)) {
          throw unavailable(describeFailure(`unwrapping with key ${this.#name}`, error), error);
        }
        // Tokens differ in how they report a failed tag (SoftHSM: CKR_GENERAL_ERROR), so the rest is "bad input".
        throw unwrapFailed('authentication-failed');
      }
    });
  }

  /** Closes the session; the last provider on the token logs out, the last on the module finalises it. */
  async close(): Promise<void> {
    const state = this.#state;
    if (state === undefined) return;
    this.#state = undefined;
    await state.module.queue.run(() => {
      state.module.logout(state.slot, state.session);
      closeQuietly(state.module, state.session);
      state.module.release();
    });
  }

  /** Names the provider without anything secret (I-K1). */
  toJSON(): { kind: string } {
    return { kind: this.kind };
  }
}

function checkMechanism(module: Pkcs11Module, slot: Handle, token: string): void {
  const { ck, lib } = module;
  let flags = 0;
  try {
    flags = lib.C_GetMechanismInfo(slot, ck.CKM_AES_GCM).flags;
  } catch (error) {
    throw unavailable(describeFailure(`C_GetMechanismInfo(CKM_AES_GCM) on token ${token}`, error), error);
  }
  const needed = ck.CKF_ENCRYPT | ck.CKF_DECRYPT;
  if ((flags & needed) !== needed)
    throw unavailable(`token ${token} cannot encrypt and decrypt with CKM_AES_GCM`);
}

function closeQuietly(module: Pkcs11Module, session: Handle): void {
  try {
    module.lib.C_CloseSession(session);
  } catch {
    // The session is already gone with its token; nothing else holds it.
  }
}
