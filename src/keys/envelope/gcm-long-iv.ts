// Maps a GCM IV longer than OpenSSL accepts (> 128 bytes) to a 16-byte IV with the same pre-counter block J0.
// GCM output depends on the IV only through J0 (SP 800-38D §7.1), so ciphertext and tag are identical.
import { createCipheriv } from 'node:crypto';
import { DsvError } from '../../errors/index.ts';

/** OpenSSL 3 refuses GCM IVs above this many bytes. */
export const OPENSSL_MAX_GCM_IV = 128;

const R = 0xe1n << 120n;
const MASK = (1n << 128n) - 1n;

/** Multiplication in GF(2^128) with GCM's bit order (SP 800-38D Algorithm 1). */
function mul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

/** x^(2^128 - 2) = x^-1 for x ≠ 0. */
function inverse(x: bigint): bigint {
  let result = 1n << 127n; // the field's one, in GCM bit order
  let base = x;
  for (let e = (1n << 128n) - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = mul(result, base);
    base = mul(base, base);
  }
  return result;
}

function blockAt(bytes: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 0; i < 16; i++) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

function toBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** J0 for a non-96-bit IV: GHASH_H(IV ‖ 0-pad ‖ 0^64 ‖ [bitlen(IV)]_64). */
function preCounterBlock(h: bigint, iv: Uint8Array): bigint {
  let y = 0n;
  for (let at = 0; at < iv.length; at += 16) y = mul(y ^ blockAt(iv, at), h);
  return mul(y ^ (BigInt(iv.length) * 8n), h);
}

/** Returns a 16-byte IV giving the same J0 as `iv` under `key`; used only for IVs above the OpenSSL limit. */
export function equivalentShortIv(key: Uint8Array, iv: Uint8Array): Uint8Array {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  const h = blockAt(Buffer.concat([ecb.update(new Uint8Array(16)), ecb.final()]), 0);
  if (h === 0n)
    throw new DsvError('DSV_INTERNAL', 'AES-GCM hash subkey is zero; long IV unsupported for this key');
  const j0 = preCounterBlock(h, iv);
  // For a one-block IV A: J0 = A·H² ⊕ [128]·H, so A = (J0 ⊕ [128]·H) · (H²)^-1.
  const a = mul(j0 ^ mul(128n, h), inverse(mul(h, h)));
  return toBytes(a & MASK);
}
