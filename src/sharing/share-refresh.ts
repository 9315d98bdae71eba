// Proactive share refresh (design 2026-12-02 client-side mode §5, I-R2): the holders of a version add shares
// of random polynomials with a zero constant term to their own shares, so the value stays and every old share
// becomes useless beside the new ones. Pure maths over GF(256), bytewise, with x = shard index + 1:
//
// - dealing: holder i picks δᵢ of degree k − 1 with δᵢ(0) = 0 and sends δᵢ(xⱼ) to each participant j, masked
//   and MACed under their pairwise secret (the refresher only relays);
// - zero check: before anyone signs, holder j sends, for every checked k-subset S it belongs to,
//   λⱼˢ(0)·dⱼ ⊕ (masks shared with the other members of S), where dⱼ = Σᵢ δᵢ(xⱼ). The masks cancel in the XOR over
//   S, which leaves Σ λⱼˢ(0)·dⱼ: the constant term of the summed update on S. It must be 0; a dealer whose
//   polynomial has another constant would move the value, and an honest subset catches it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DsvError } from '../errors/index.ts';
import { gfMulAddInto } from './gf256.ts';
import { splitBytes, type RandomSource } from './shamir.ts';
import { combineContributions, lagrangeAt, pairMask } from './share-recovery.ts';

/** At most this many k-subsets are checked per refresh: every one of them up to n = 9 (C(9,4) = 126). */
export const MAX_CHECK_SUBSETS = 128;

const MAC_BYTES = 32;

/**
 * δ(x) for every x in `xs`, where δ is a fresh random polynomial of degree k − 1 with δ(0) = 0 in every byte
 * (Shamir's split of `length` zero bytes, so the coefficients are drawn and wiped exactly as for a value).
 */
export function dealZeroPolynomial(
  xs: readonly number[],
  k: number,
  length: number,
  random?: RandomSource,
): Map<number, Uint8Array> {
  if (k < 2) throw new DsvError('DSV_INPUT_INVALID', 'a refresh needs k ≥ 2');
  if (new Set(xs).size !== xs.length || xs.length < k)
    throw new DsvError('DSV_INPUT_INVALID', 'a refresh needs at least k distinct participants');
  const shares = splitBytes(new Uint8Array(length), Math.max(...xs), k, random);
  const dealt = new Map<number, Uint8Array>();
  for (const share of shares) {
    if (xs.includes(share.x)) dealt.set(share.x, share.y);
    else share.y.fill(0);
  }
  return dealt;
}

/** The context a dealing from x `dealer` to x `recipient` is masked and MACed under. */
export const dealingContext = (base: string, dealer: number, recipient: number): string =>
  `${base}\u0000deal\u0000${dealer}\u0000${recipient}`;

/** The context of one checked subset's masks (the subset in ascending order). */
export const subsetContext = (base: string, subset: readonly number[]): string =>
  `${base}\u0000check\u0000${[...subset].sort((a, b) => a - b).join(',')}`;

/** The context under which `from` MACs its zero-check value for `to`. */
export const checkMacContext = (context: string, from: number, to: number): string =>
  `${context}\u0000from\u0000${from}\u0000to\u0000${to}`;

/** HMAC-SHA256 of `bytes` under a key derived from the pair's secret for this context (base64). */
export function pairMac(pairSecret: Uint8Array, context: string, bytes: Uint8Array): string {
  const key = createHmac('sha256', pairSecret).update(`dsv/refresh-mac/v1\u0000${context}`).digest();
  return createHmac('sha256', key).update(bytes).digest('base64');
}

export function pairMacMatches(
  pairSecret: Uint8Array,
  context: string,
  bytes: Uint8Array,
  mac: string,
): boolean {
  const expected = Buffer.from(pairMac(pairSecret, context, bytes), 'base64');
  const given = Buffer.from(mac, 'base64');
  return given.length === MAC_BYTES && timingSafeEqual(expected, given);
}

const xorInto = (target: Uint8Array, source: Uint8Array): void => {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) ^ (source[i] ?? 0);
};

/** A dealt value as it travels: masked with the pair's PRF, then MACed (the relay learns nothing, forges nothing). */
export function sealDealing(
  pairSecret: Uint8Array,
  context: string,
  value: Uint8Array,
): { masked: Uint8Array; mac: string } {
  const masked = pairMask(pairSecret, `dsv/refresh-mask/v1\u0000${context}`, value.length);
  xorInto(masked, value);
  return { masked, mac: pairMac(pairSecret, context, masked) };
}

/** The dealt value, or DSV_INTEGRITY_FAILED when the MAC does not verify (altered, replayed or misaddressed). */
export function openDealing(
  pairSecret: Uint8Array,
  context: string,
  masked: Uint8Array,
  mac: string,
): Uint8Array {
  if (!pairMacMatches(pairSecret, context, masked, mac))
    throw new DsvError('DSV_INTEGRITY_FAILED', 'a refresh dealing does not verify');
  const value = pairMask(pairSecret, `dsv/refresh-mask/v1\u0000${context}`, masked.length);
  xorInto(value, masked);
  return value;
}

/**
 * The sum of this holder's own dealt value and the ones it received: dⱼ = Σᵢ δᵢ(xⱼ) (addition is XOR, as
 * for recovery contributions; parts of different lengths are DSV_INTEGRITY_FAILED).
 */
export const sumUpdates = (parts: readonly Uint8Array[]): Uint8Array => combineContributions(parts);

/**
 * The k-subsets of `xs` whose zero check every participant runs, the same on every holder: all of them in
 * lexicographic order when there are at most `cap`; otherwise the cyclic windows first (every participant
 * is in k of them), then more in lexicographic order up to `cap`.
 */
export function checkSubsets(xs: readonly number[], k: number, cap = MAX_CHECK_SUBSETS): number[][] {
  const sorted = [...xs].sort((a, b) => a - b);
  const all: number[][] = [];
  const chosen: number[] = [];
  const walk = (start: number): void => {
    if (all.length > cap) return;
    if (chosen.length === k) {
      all.push([...chosen]);
      return;
    }
    for (let i = start; i <= sorted.length - (k - chosen.length); i++) {
      chosen.push(sorted[i] ?? 0);
      walk(i + 1);
      chosen.pop();
    }
  };
  walk(0);
  if (all.length <= cap) return all;
  const picked = new Map<string, number[]>();
  for (let start = 0; start < sorted.length && picked.size < cap; start++) {
    const window = Array.from({ length: k }, (_, i) => sorted[(start + i) % sorted.length] ?? 0);
    window.sort((a, b) => a - b);
    picked.set(window.join(','), window);
  }
  for (const subset of all) {
    if (picked.size >= cap) break;
    picked.set(subset.join(','), subset);
  }
  return [...picked.values()];
}

export interface ZeroCheckInput {
  /** This holder's x. */
  readonly x: number;
  /** The subset's xs (this holder's included). */
  readonly subset: readonly number[];
  /** dⱼ: the sum of every dealt value this holder received, its own included. */
  readonly update: Uint8Array;
  /** x of each other member → the pairwise secret with it. */
  readonly pairSecrets: ReadonlyMap<number, Uint8Array>;
  /** subsetContext(base, subset). */
  readonly context: string;
}

/** λₓˢ(0)·dₓ ⊕ the masks shared with every other member of S. */
export function zeroCheckContribution(input: ZeroCheckInput): Uint8Array {
  const { x, subset, update } = input;
  if (!subset.includes(x) || new Set(subset).size !== subset.length)
    throw new DsvError('DSV_INPUT_INVALID', 'invalid zero-check subset');
  const out = new Uint8Array(update.length);
  gfMulAddInto(out, update, lagrangeAt(0, x, subset));
  for (const other of subset) {
    if (other === x) continue;
    const secret = input.pairSecrets.get(other);
    if (!secret) throw new DsvError('DSV_INPUT_INVALID', 'missing pair secret for a zero check');
    xorInto(out, pairMask(secret, input.context, update.length));
  }
  return out;
}

/** True when the subset's contributions XOR to zero in every byte (the update's constant term is 0 on S). */
export function zeroCheckHolds(contributions: readonly Uint8Array[]): boolean {
  const length = contributions[0]?.length ?? 0;
  if (contributions.length === 0 || contributions.some((part) => part.length !== length)) return false;
  let any = 0;
  for (let i = 0; i < length; i++) {
    let byte = 0;
    for (const part of contributions) byte ^= part[i] ?? 0;
    any |= byte;
  }
  return any === 0;
}
