// Secret-preserving share recovery (trust-boundaries design §7, I-S6): a holder that lost its share at x_t
// gets it back from k helpers without anyone learning the value. Helper a sends λ_a(x_t)·s_a ⊕ m_a; the masks
// are pairwise PRF outputs that appear twice in the XOR of all contributions and cancel, so the target learns
// exactly s_t = ⊕ λ_a(x_t)·s_a (Lagrange interpolation of the same polynomial at x_t) and no helper's share.
import { createHmac } from 'node:crypto';
import { DsvError } from '../errors/index.ts';
import { gfDiv, gfMul, gfMulAddInto } from './gf256.ts';

/** λ_a(x_t) for helper x_a among `helpers` (all distinct, none equal to x_t): Π (x_t − x_b) / (x_a − x_b). */
export function lagrangeAt(target: number, helper: number, helpers: readonly number[]): number {
  let coefficient = 1;
  for (const other of helpers) {
    if (other === helper) continue;
    coefficient = gfMul(coefficient, gfDiv(target ^ other, helper ^ other));
  }
  return coefficient;
}

/** Mask bytes one helper pair shares: HMAC-SHA256 in counter mode over the pair's ECDH secret. */
export function pairMask(pairSecret: Uint8Array, context: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0, at = 0; at < length; block++, at += 32) {
    const bytes = createHmac('sha256', pairSecret).update(`${context}\u0000${block}`).digest();
    out.set(bytes.subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

export interface ContributionInput {
  readonly target: number;
  readonly helper: number;
  readonly helpers: readonly number[];
  readonly share: Uint8Array;
  /** One ECDH secret per other helper (the order does not matter: XOR commutes). */
  readonly pairSecrets: readonly Uint8Array[];
  /** Binds the masks to this recovery (session, identity, target, helper set). */
  readonly context: string;
}

/** What helper `helper` sends: its Lagrange-weighted share, masked. */
export function recoveryContribution(input: ContributionInput): Uint8Array {
  const { target, helper, helpers, share } = input;
  if (new Set(helpers).size !== helpers.length || helpers.includes(target) || !helpers.includes(helper))
    throw new DsvError('DSV_INPUT_INVALID', 'invalid recovery helper set');
  const out = new Uint8Array(share.length);
  gfMulAddInto(out, share, lagrangeAt(target, helper, helpers));
  for (const secret of input.pairSecrets) {
    const mask = pairMask(secret, input.context, share.length);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) ^ (mask[i] ?? 0);
  }
  return out;
}

/** The recovered share: the XOR of every helper's contribution (the masks cancel pairwise). */
export function combineContributions(contributions: readonly Uint8Array[]): Uint8Array {
  const length = contributions[0]?.length ?? 0;
  if (contributions.some((part) => part.length !== length))
    throw new DsvError('DSV_INTEGRITY_FAILED', 'recovery contributions differ in length');
  const out = new Uint8Array(length);
  for (const part of contributions) for (let i = 0; i < length; i++) out[i] = (out[i] ?? 0) ^ (part[i] ?? 0);
  return out;
}
