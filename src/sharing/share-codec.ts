// The byte form of a share for storage and transport: one byte x (1..255), then y.
import { DsvError } from '../errors/index.ts';
import { isWellFormedShare, type Share } from './shamir.ts';

export function encodeShare(share: Share): Uint8Array {
  if (!isWellFormedShare(share)) throw new DsvError('DSV_INPUT_INVALID', 'the share is malformed');
  const bytes = new Uint8Array(1 + share.y.length);
  bytes[0] = share.x;
  bytes.set(share.y, 1);
  return bytes;
}

/** Copies y out of `bytes`, so the share does not alias a buffer the caller may reuse or wipe. */
export function decodeShare(bytes: Uint8Array): Share {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1 || bytes[0] === 0) {
    throw new DsvError('DSV_INPUT_INVALID', 'the encoded share is malformed');
  }
  return { x: bytes[0]!, y: bytes.slice(1) };
}
