// AES-256-GCM inside the token (CKM_AES_GCM): the key object is used by handle, its bytes never leave the HSM.
import type { Handle } from './pkcs11-binding.ts';
import type { Pkcs11Module } from './pkcs11-module.ts';
import { IV_BYTES, TAG_BYTES } from './pkcs11-wrap-format.ts';

function mechanism(module: Pkcs11Module, iv: Buffer, aad: Buffer) {
  // CK_GCM_PARAMS (v2.40 layout with ulIvBits, which SoftHSM 2.6 and current HSMs read).
  const parameter = { type: module.ck.CK_PARAMS_GCM, iv, ivBits: IV_BYTES * 8, aad, tagBits: TAG_BYTES * 8 };
  return { mechanism: module.ck.CKM_AES_GCM, parameter };
}

/** Ciphertext ‖ tag. Call inside `module.queue`: C_EncryptInit and C_Encrypt must not interleave. */
export async function hsmGcmEncrypt(
  module: Pkcs11Module,
  session: Handle,
  key: Handle,
  iv: Buffer,
  aad: Buffer,
  plaintext: Buffer,
): Promise<Buffer> {
  module.lib.C_EncryptInit(session, mechanism(module, iv, aad), key);
  return module.lib.C_EncryptAsync(session, plaintext, Buffer.alloc(plaintext.length + TAG_BYTES));
}

/** The plaintext, or a rejection when the tag does not verify. Call inside `module.queue`. */
export async function hsmGcmDecrypt(
  module: Pkcs11Module,
  session: Handle,
  key: Handle,
  iv: Buffer,
  aad: Buffer,
  sealed: Buffer,
): Promise<Buffer> {
  module.lib.C_DecryptInit(session, mechanism(module, iv, aad), key);
  return module.lib.C_DecryptAsync(session, sealed, Buffer.alloc(sealed.length));
}
