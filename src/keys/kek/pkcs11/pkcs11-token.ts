// Finds the token's slot and the KEK object on it, or generates the KEK inside the token when allowed.
import { randomBytes } from 'node:crypto';
import { readBool, readUlong, readUlongBig, type Handle } from './pkcs11-binding.ts';
import { describeFailure, unavailable, type Pkcs11Module } from './pkcs11-module.ts';

export const KEK_BYTES = 32;

/** Which token: by label (as given to `softhsm2-util --init-token --label`) or by slot id. */
export type TokenSelector = { readonly tokenLabel: string } | { readonly slot: number | bigint };

export function tokenName(selector: TokenSelector): string {
  return 'tokenLabel' in selector ? `'${selector.tokenLabel}'` : `in slot ${selector.slot}`;
}

/** The slot holding the selected token; token labels are blank-padded to 32 bytes by PKCS#11. */
export function findSlot(module: Pkcs11Module, selector: TokenSelector): Handle {
  let slots: Handle[];
  try {
    slots = module.lib.C_GetSlotList(true);
  } catch (error) {
    throw unavailable(describeFailure('C_GetSlotList', error), error);
  }
  const matches = slots.filter((slot) => {
    if ('slot' in selector) return readUlongBig(slot) === BigInt(selector.slot);
    try {
      return module.lib.C_GetTokenInfo(slot).label.replace(/ +$/, '') === selector.tokenLabel;
    } catch {
      return false;
    }
  });
  const [slot] = matches;
  if (slot === undefined) {
    throw unavailable(
      `no token ${tokenName(selector)} in ${module.path} (tokens created after the module was loaded by this ` +
        'process are not seen until every provider using it is closed)',
    );
  }
  if (matches.length > 1) throw unavailable(`${matches.length} tokens are labelled ${tokenName(selector)}`);
  return slot;
}

/** The AES key labelled `keyLabel`, checked to be a sensitive, non-extractable, 256-bit token key. */
export function findKey(module: Pkcs11Module, session: Handle, keyLabel: string): Handle | undefined {
  const { ck, lib } = module;
  const found: Handle[] = [];
  try {
    lib.C_FindObjectsInit(session, [
      { type: ck.CKA_CLASS, value: ck.CKO_SECRET_KEY },
      { type: ck.CKA_KEY_TYPE, value: ck.CKK_AES },
      { type: ck.CKA_LABEL, value: keyLabel },
    ]);
    try {
      found.push(...lib.C_FindObjects(session, 2));
    } finally {
      lib.C_FindObjectsFinal(session);
    }
  } catch (error) {
    throw unavailable(describeFailure(`searching for key '${keyLabel}'`, error), error);
  }
  const [key] = found;
  if (key === undefined) return undefined;
  if (found.length > 1)
    throw unavailable(`more than one AES key is labelled '${keyLabel}'; remove the duplicates`);
  checkKey(module, session, key, keyLabel);
  return key;
}

/** The KEK must stay inside the HSM (I-K1) and be AES-256: anything else is refused rather than used. */
function checkKey(module: Pkcs11Module, session: Handle, key: Handle, keyLabel: string): void {
  const { ck, lib } = module;
  const wanted = [
    ck.CKA_TOKEN,
    ck.CKA_SENSITIVE,
    ck.CKA_EXTRACTABLE,
    ck.CKA_ENCRYPT,
    ck.CKA_DECRYPT,
    ck.CKA_VALUE_LEN,
  ];
  let values: Map<number, Buffer>;
  try {
    const result = lib.C_GetAttributeValue(
      session,
      key,
      wanted.map((type) => ({ type })),
    );
    values = new Map(result.map((a) => [a.type, a.value]));
  } catch (error) {
    throw unavailable(describeFailure(`reading the attributes of key '${keyLabel}'`, error), error);
  }
  const flag = (type: number): boolean => readBool(values.get(type) ?? Buffer.alloc(0));
  const problems: string[] = [];
  if (!flag(ck.CKA_TOKEN)) problems.push('not a token object');
  if (!flag(ck.CKA_SENSITIVE)) problems.push('not sensitive');
  if (flag(ck.CKA_EXTRACTABLE)) problems.push('extractable');
  if (!flag(ck.CKA_ENCRYPT) || !flag(ck.CKA_DECRYPT)) problems.push('not allowed to encrypt and decrypt');
  const length = readUlong(values.get(ck.CKA_VALUE_LEN) ?? Buffer.alloc(0));
  if (length !== KEK_BYTES) problems.push(`${length * 8}-bit instead of 256-bit`);
  if (problems.length > 0) throw unavailable(`key '${keyLabel}' is refused: ${problems.join(', ')}`);
}

/**
 * Generates the KEK inside the token: it is never visible outside it (CKA_SENSITIVE, not CKA_EXTRACTABLE)
 * and usable only after login (CKA_PRIVATE). If another process created one with the same label at the same
 * time, ours is destroyed and the open fails, so a label never ends up naming two keys in use.
 */
export function generateKey(module: Pkcs11Module, session: Handle, keyLabel: string): Handle {
  const { ck, lib } = module;
  let key: Handle;
  try {
    key = lib.C_GenerateKey(session, { mechanism: ck.CKM_AES_KEY_GEN }, [
      { type: ck.CKA_CLASS, value: ck.CKO_SECRET_KEY },
      { type: ck.CKA_KEY_TYPE, value: ck.CKK_AES },
      { type: ck.CKA_VALUE_LEN, value: KEK_BYTES },
      { type: ck.CKA_LABEL, value: keyLabel },
      { type: ck.CKA_ID, value: randomBytes(16) },
      { type: ck.CKA_TOKEN, value: true },
      { type: ck.CKA_PRIVATE, value: true },
      { type: ck.CKA_SENSITIVE, value: true },
      { type: ck.CKA_EXTRACTABLE, value: false },
      { type: ck.CKA_MODIFIABLE, value: false },
      { type: ck.CKA_ENCRYPT, value: true },
      { type: ck.CKA_DECRYPT, value: true },
      { type: ck.CKA_WRAP, value: false },
      { type: ck.CKA_UNWRAP, value: false },
      { type: ck.CKA_SIGN, value: false },
      { type: ck.CKA_VERIFY, value: false },
      { type: ck.CKA_DERIVE, value: false },
    ]);
  } catch (error) {
    throw unavailable(describeFailure(`generating key '${keyLabel}'`, error), error);
  }
  try {
    if (findKey(module, session, keyLabel) === undefined) throw unavailable(`key '${keyLabel}' vanished`);
    return key;
  } catch (error) {
    try {
      lib.C_DestroyObject(session, key);
    } catch {
      // Best effort: the label check on the next open refuses duplicates anyway.
    }
    throw error;
  }
}
