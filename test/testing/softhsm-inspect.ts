// Test helper run as a child process: looks at a SoftHSM2 token from outside the process under test.
// Usage: node softhsm-inspect.ts '<json request>'; prints one JSON answer. SOFTHSM2_CONF comes from the parent.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Pkcs11KekProvider } from '../../src/keys/kek/pkcs11/index.ts';
import { ckrName } from '../../src/keys/kek/pkcs11/pkcs11-binding.ts';
import { hsmGcmEncrypt } from '../../src/keys/kek/pkcs11/pkcs11-gcm.ts';
import { Pkcs11Module } from '../../src/keys/kek/pkcs11/pkcs11-module.ts';
import { findSlot } from '../../src/keys/kek/pkcs11/pkcs11-token.ts';

export type InspectRequest = {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
} & (
  | { readonly command: 'attributes'; readonly keyLabel: string }
  | { readonly command: 'unwrap'; readonly keyLabel: string; readonly wrappedHex: string }
  | { readonly command: 'known-answer' }
);

/** Runs the inspector in a fresh Node process (its own Cryptoki state, as another node would have). */
export async function inspectSoftHsm(request: InspectRequest): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    import.meta.filename,
    JSON.stringify(request),
  ]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

const tryCall = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return ckrName(error) ?? String(error);
  }
};

async function main(request: InspectRequest): Promise<Record<string, unknown>> {
  if (request.command === 'unwrap') {
    const provider = await Pkcs11KekProvider.open(request);
    try {
      const dek = await provider.unwrap(Buffer.from(request.wrappedHex, 'hex'));
      return { dekSha256: createHash('sha256').update(dek).digest('hex') };
    } finally {
      await provider.close();
    }
  }
  const module = Pkcs11Module.acquire(request.modulePath);
  const { ck, lib } = module;
  const slot = findSlot(module, { tokenLabel: request.tokenLabel });
  const session = lib.C_OpenSession(slot, ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION);
  module.login(slot, session, request.pin, request.tokenLabel);
  try {
    if (request.command === 'known-answer') {
      // A session key with known bytes: the HSM's CKM_AES_GCM must equal node:crypto's AES-256-GCM bit for bit.
      const value = randomBytes(32);
      const key = lib.C_CreateObject(session, [
        { type: ck.CKA_CLASS, value: ck.CKO_SECRET_KEY },
        { type: ck.CKA_KEY_TYPE, value: ck.CKK_AES },
        { type: ck.CKA_TOKEN, value: false },
        { type: ck.CKA_ENCRYPT, value: true },
        { type: ck.CKA_VALUE, value },
      ]);
      const [iv, aad, plaintext] = [randomBytes(12), randomBytes(29), randomBytes(32)];
      const hsm = await hsmGcmEncrypt(module, session, key, iv, aad, plaintext);
      const cipher = createCipheriv('aes-256-gcm', value, iv).setAAD(aad);
      const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return { equal: hsm.equals(expected), length: hsm.length };
    }
    lib.C_FindObjectsInit(session, [{ type: ck.CKA_LABEL, value: request.keyLabel }]);
    const objects = lib.C_FindObjects(session, 10);
    lib.C_FindObjectsFinal(session);
    const [key] = objects;
    if (key === undefined) return { objects: 0 };
    const flags: Record<string, boolean> = {};
    for (const name of [
      'CKA_TOKEN',
      'CKA_PRIVATE',
      'CKA_SENSITIVE',
      'CKA_EXTRACTABLE',
      'CKA_NEVER_EXTRACTABLE',
    ]) {
      const type = (ck as unknown as Record<string, number>)[name] ?? -1;
      const [attribute] = lib.C_GetAttributeValue(session, key, [{ type }]);
      flags[name] = attribute !== undefined && attribute.value[0] === 1;
    }
    // Try every way out: read the value, and wrap it under a key the inspector knows.
    const wrapper = lib.C_GenerateKey(session, { mechanism: ck.CKM_AES_KEY_GEN }, [
      { type: ck.CKA_CLASS, value: ck.CKO_SECRET_KEY },
      { type: ck.CKA_KEY_TYPE, value: ck.CKK_AES },
      { type: ck.CKA_VALUE_LEN, value: 32 },
      { type: ck.CKA_TOKEN, value: false },
      { type: ck.CKA_WRAP, value: true },
    ]);
    return {
      objects: objects.length,
      ...flags,
      readValue: tryCall(() => lib.C_GetAttributeValue(session, key, [{ type: ck.CKA_VALUE }])),
      wrapKey: tryCall(() =>
        lib.C_WrapKey(session, { mechanism: ck.CKM_AES_KEY_WRAP_PAD }, wrapper, key, Buffer.alloc(128)),
      ),
    };
  } finally {
    module.logout(slot, session);
    lib.C_CloseSession(session);
    module.release();
  }
}

if (process.argv[1] === import.meta.filename) {
  const request = JSON.parse(process.argv[2] ?? '{}') as InspectRequest;
  process.stdout.write(`${JSON.stringify(await main(request))}\n`);
}
