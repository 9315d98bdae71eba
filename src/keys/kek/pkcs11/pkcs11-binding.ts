// Loads the pkcs11js N-API binding lazily: it is an optional dependency, so a node without it still starts.
import { createRequire } from 'node:module';
import type * as Pkcs11JsModule from 'pkcs11js';
import { DsvError } from '../../../errors/index.ts';

/** The pkcs11js module: the `PKCS11` class and the CK* constants. */
export type Pkcs11Js = typeof Pkcs11JsModule;
export type Pkcs11Lib = Pkcs11JsModule.PKCS11;
/** A PKCS#11 handle (slot, session, object) as pkcs11js represents it: a CK_ULONG in a Buffer. */
export type Handle = Buffer;

let binding: Pkcs11Js | undefined;

export function loadPkcs11Js(): Pkcs11Js {
  if (binding !== undefined) return binding;
  try {
    binding = createRequire(import.meta.url)('pkcs11js') as Pkcs11Js;
    return binding;
  } catch (error) {
    throw new DsvError(
      'DSV_KEK_UNAVAILABLE',
      'PKCS#11 KEK unavailable: the pkcs11js binding is not installed or did not build ' +
        '(optional dependency; its install needs python3, make and g++)',
      { cause: error },
    );
  }
}

/** The name of a PKCS#11 return value (`CKR_PIN_INCORRECT`), or undefined for anything else thrown. */
export function ckrName(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /^CKR_[A-Z0-9_]+$/.test(message) ? message : undefined;
}

/** A CK_ULONG (attribute value or handle) in native byte order. */
export function readUlongBig(value: Buffer): bigint {
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  let result = 0n;
  for (let i = 0; i < value.length; i++) {
    result = (result << 8n) | BigInt(value[le ? value.length - 1 - i : i] ?? 0);
  }
  return result;
}

export function readUlong(value: Buffer): number {
  return Number(readUlongBig(value));
}

/** A CK_BBOOL attribute value. */
export function readBool(value: Buffer): boolean {
  return value.length > 0 && value[0] !== 0;
}
