// Tokens (DESIGN §9): 256 random bits, shown once; only their SHA-256 is stored. An accessor id names a
// token for audit and revocation without being able to authenticate.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_PREFIX = 'dsv.';

export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newAccessor(): string {
  return randomBytes(12).toString('hex');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A cheap shape check before any lookup, so garbage never reaches the store. */
export function looksLikeToken(token: string): boolean {
  return (
    token.startsWith(TOKEN_PREFIX) &&
    token.length === TOKEN_PREFIX.length + 43 &&
    /^[A-Za-z0-9_-]+$/.test(token.slice(4))
  );
}

/** Constant-time equality of two hex digests (the lookup found a row; confirm it without a timing leak). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
