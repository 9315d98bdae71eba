// Shamir's secret sharing of a byte string over GF(256) (DESIGN §1, §6 step 4, §7 step 2): split into n
// shares with threshold k, and combine k of them by Lagrange interpolation at x = 0.
import { randomBytes } from 'node:crypto';
import { DsvError } from '../errors/index.ts';
import { gfDiv, gfMul, gfMulAddInto } from './gf256.ts';

/** One share: the evaluation point x (1..255) and the polynomials' values there, one byte per secret byte. */
export interface Share {
  readonly x: number;
  readonly y: Uint8Array;
}

/** The most shares GF(256) allows: x runs over the non-zero field elements. */
export const MAX_SHARES = 255;

/**
 * Source of the polynomials' random coefficients; only tests pass anything but crypto.randomBytes. The returned
 * buffer is wiped after use, so it must be fresh.
 */
export type RandomSource = (length: number) => Uint8Array;

const cryptoRandom: RandomSource = (length) => randomBytes(length);

/**
 * Splits `secret` into `n` shares, any `k` of which reconstruct it and any `k − 1` of which reveal nothing.
 * Share i (0-based) has x = i + 1. Byte j of the secret is the constant term of its own polynomial of degree
 * k − 1 whose coefficient of degree d is byte (d − 1)·len + j of one `random((k − 1)·len)` call (that layout
 * is what the known-answer tests pin down).
 *
 * k = 1 makes every share a copy of the secret, which only makes sense with a single holder: it is allowed
 * for n = 1 (single-node and tests) and rejected for n > 1, where it would put a full copy on every node and
 * void DESIGN §1 ("no node holds k shards").
 */
export function splitBytes(
  secret: Uint8Array,
  n: number,
  k: number,
  random: RandomSource = cryptoRandom,
): Share[] {
  if (!(secret instanceof Uint8Array)) throw invalid('the secret must be bytes');
  checkThreshold(n, k);
  const length = secret.length;
  const coefficients = k > 1 ? random((k - 1) * length) : new Uint8Array(0);
  if (!(coefficients instanceof Uint8Array) || coefficients.length !== (k - 1) * length) {
    throw invalid('the random source returned the wrong number of bytes');
  }
  const term = new Uint8Array(length); // 4-byte aligned copy of one degree's coefficients (fast path)
  try {
    const shares: Share[] = [];
    for (let i = 0; i < n; i++) {
      const x = i + 1;
      const y = Uint8Array.from(secret); // the constant term
      let power = 1;
      for (let degree = 1; degree < k; degree++) {
        power = gfMul(power, x);
        term.set(coefficients.subarray((degree - 1) * length, degree * length));
        gfMulAddInto(y, term, power); // y += coefficient_degree · x^degree
      }
      shares.push({ x, y });
    }
    return shares;
  } finally {
    // Together with any one share the coefficients give the secret away: wipe them.
    coefficients.fill(0);
    term.fill(0);
  }
}

/**
 * Reconstructs the shared bytes from shares with distinct non-zero x and equal lengths. It cannot know the
 * threshold: fewer than k shares combine to unrelated bytes, which is why reads go through
 * reconstructSecret, whose integrity tag catches that (I-C1).
 */
export function combineBytes(shares: readonly Share[]): Uint8Array {
  if (!isList(shares) || shares.length === 0) throw invalid('at least one share is required');
  if (shares.length > MAX_SHARES) throw invalid(`at most ${MAX_SHARES} shares can be combined`);
  const seen = new Set<number>();
  const first = shares[0]!;
  for (const share of shares) {
    if (!isWellFormedShare(share)) throw invalid('a share is malformed');
    if (seen.has(share.x)) throw invalid('two shares have the same x');
    if (share.y.length !== first.y.length) throw invalid('the shares have different lengths');
    seen.add(share.x);
  }
  const coefficients = lagrangeAtZero(shares.map((share) => share.x));
  const secret = new Uint8Array(first.y.length);
  shares.forEach((share, i) => gfMulAddInto(secret, share.y, coefficients[i]!));
  return secret;
}

/**
 * The Lagrange basis polynomials evaluated at 0: secret = Σ λ_i · y_i with λ_i = Π_{j≠i} x_j / (x_j − x_i).
 * Computed once per subset, so combining costs one multiply-add per byte per share.
 */
export function lagrangeAtZero(xs: readonly number[]): number[] {
  return xs.map((xi, i) => {
    let numerator = 1;
    let denominator = 1;
    xs.forEach((xj, j) => {
      if (j === i) return;
      numerator = gfMul(numerator, xj);
      denominator = gfMul(denominator, xj ^ xi);
    });
    return gfDiv(numerator, denominator);
  });
}

/** A share whose x is a usable evaluation point and whose y is bytes. */
export function isWellFormedShare(share: unknown): share is Share {
  if (typeof share !== 'object' || share === null) return false;
  const { x, y } = share as { x?: unknown; y?: unknown };
  return Number.isInteger(x) && (x as number) >= 1 && (x as number) <= MAX_SHARES && y instanceof Uint8Array;
}

/** Validates a threshold k for n shares (also used by reads, where n is unknown: pass n = k). */
export function checkThreshold(n: number, k: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 1 || k > n || n > MAX_SHARES) {
    throw invalid(`the share parameters must satisfy 1 ≤ k ≤ n ≤ ${MAX_SHARES}`);
  }
  if (k === 1 && n > 1) throw invalid('k = 1 would copy the secret to every holder; use k ≥ 2 when n > 1');
}

/** Array.isArray without narrowing a readonly array to any[] (callers past the type system may pass anything). */
export function isList(value: unknown): boolean {
  return Array.isArray(value);
}

function invalid(message: string): DsvError {
  return new DsvError('DSV_INPUT_INVALID', message);
}
