// Process-wide PKCS#11 module state: one C_Initialize per library, one login per token, shared by providers.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { DsvError } from '../../../errors/index.ts';
import { ckrName, loadPkcs11Js, type Handle, type Pkcs11Js, type Pkcs11Lib } from './pkcs11-binding.ts';
import { SerialQueue } from './serial-queue.ts';

/**
 * Cryptoki state is per process, not per handle: a second C_Initialize fails, one C_Finalize ends every
 * session, and one C_Logout logs out every session on the token. So providers share a refcounted module and
 * a refcounted login. A token already logged in answers any PIN with CKR_USER_ALREADY_LOGGED_IN, so the PIN
 * of the login is kept as an HMAC under a per-process random key and every later open is checked against it.
 */
interface TokenLogin {
  refs: number;
  pinCheck: Buffer;
}

const pinCheckKey = randomBytes(32);
const pinCheck = (pin: string): Buffer => createHmac('sha256', pinCheckKey).update(pin, 'utf8').digest();
const loaded = new Map<string, Pkcs11Module>();

export function unavailable(message: string, cause?: unknown): DsvError {
  return new DsvError(
    'DSV_KEK_UNAVAILABLE',
    `PKCS#11 KEK unavailable: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/** `what failed (CKR_…)`, with a plain-words reason for the return values an operator can act on. */
export function describeFailure(what: string, error: unknown): string {
  const ckr = ckrName(error);
  if (ckr === undefined) return `${what} failed`;
  const reasons: Record<string, string> = {
    CKR_PIN_INCORRECT: 'the PIN is incorrect',
    CKR_PIN_LOCKED: 'the PIN is locked',
    CKR_PIN_EXPIRED: 'the PIN has expired',
    CKR_PIN_LEN_RANGE: 'the PIN has an invalid length',
    CKR_TOKEN_NOT_PRESENT: 'the token is not present',
    CKR_DEVICE_REMOVED: 'the device was removed',
    CKR_DEVICE_ERROR: 'the device reported an error',
  };
  const reason = reasons[ckr];
  return reason === undefined ? `${what} failed (${ckr})` : `${what} failed: ${reason} (${ckr})`;
}

export class Pkcs11Module {
  readonly path: string;
  readonly ck: Pkcs11Js;
  readonly lib: Pkcs11Lib;
  /** Every call into the module goes through here, so nothing runs concurrently inside it. */
  readonly queue = new SerialQueue();
  #refs = 1;
  readonly #logins = new Map<string, TokenLogin>();

  private constructor(path: string, ck: Pkcs11Js, lib: Pkcs11Lib) {
    this.path = path;
    this.ck = ck;
    this.lib = lib;
  }

  /** Loads and initialises the library at `modulePath`, or takes another reference to it. Synchronous. */
  static acquire(modulePath: string): Pkcs11Module {
    let path: string;
    try {
      path = realpathSync(modulePath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw unavailable(`cannot find the PKCS#11 module ${modulePath} (${code})`, error);
    }
    const existing = loaded.get(path);
    if (existing !== undefined) {
      existing.#refs++;
      return existing;
    }
    const ck = loadPkcs11Js();
    const lib = new ck.PKCS11();
    try {
      lib.load(path);
    } catch (error) {
      throw unavailable(`cannot load the PKCS#11 module ${modulePath}: ${(error as Error).message}`, error);
    }
    try {
      initialize(ck, lib);
    } catch (error) {
      lib.close();
      throw unavailable(describeFailure(`C_Initialize of ${modulePath}`, error), error);
    }
    const module = new Pkcs11Module(path, ck, lib);
    loaded.set(path, module);
    return module;
  }

  /**
   * Logs `session` in as the user, or joins the login another provider holds on the same token after checking
   * the PIN against it. Must run inside `queue`.
   */
  login(slot: Handle, session: Handle, pin: string, tokenName: string): void {
    const key = slot.toString('hex');
    const existing = this.#logins.get(key);
    if (existing !== undefined) {
      if (!timingSafeEqual(existing.pinCheck, pinCheck(pin))) {
        throw unavailable(`login to token ${tokenName} failed: the PIN is incorrect`);
      }
      existing.refs++;
      return;
    }
    try {
      this.lib.C_Login(session, this.ck.CKU_USER, pin);
    } catch (error) {
      // Another application of this process (not a DSV provider) may hold the login; we cannot check its PIN.
      throw unavailable(describeFailure(`login to token ${tokenName}`, error), error);
    }
    this.#logins.set(key, { refs: 1, pinCheck: pinCheck(pin) });
  }

  /** Drops one reference to the token's login; the last one logs out. Must run inside `queue`. */
  logout(slot: Handle, session: Handle): void {
    const key = slot.toString('hex');
    const login = this.#logins.get(key);
    if (login === undefined || --login.refs > 0) return;
    this.#logins.delete(key);
    try {
      this.lib.C_Logout(session);
    } catch {
      // Already logged out (token removed, session gone): nothing is left to undo.
    }
  }

  /** Drops one reference; the last one finalises and unloads the library. Must run inside `queue`. */
  release(): void {
    if (--this.#refs > 0) return;
    loaded.delete(this.path);
    try {
      this.lib.C_Finalize();
    } finally {
      this.lib.close();
    }
  }
}

/** OS locking lets the library be called from pkcs11js worker threads; a module that cannot lock gets NULL args. */
function initialize(ck: Pkcs11Js, lib: Pkcs11Lib): void {
  try {
    lib.C_Initialize({ flags: ck.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (ckrName(error) !== 'CKR_CANTLOCK') throw error;
    lib.C_Initialize();
  }
}
