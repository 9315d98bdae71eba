// Ed25519 verification is the largest CPU cost of applying the log (≈140 µs each with node:crypto; a write
// carries an intent signature, its endorsements, a commit signature and W receipts, checked by every node).
// A verdict is a pure function of (public key, message, signature), so this process may reuse one it has
// computed itself: in `dsv dev` the three nodes apply the same records, and a node checks a record's
// receipts again when it replays. Nothing from outside the process is trusted here — a cached verdict is
// one this process computed over exactly the same three inputs (I-L5 holds per node; design note
// 2026_12_02_performance §3).
//
// A signature this process makes itself is remembered as valid at once: Ed25519 signing is deterministic and
// sign/verify are inverses, so verifying (public key of the signing key, message, the signature just made)
// can only say true. In `dsv dev` every signature is made in the process; on `dsv server` a node's own
// intents, commits, endorsements and receipts are the ones it stops verifying.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { BoundedMemo } from '../kernel/bounded-memo.ts';

/** Bounded: cleared when full (a miss only costs one more verification). */
const verdicts = new BoundedMemo<boolean>(65_536);
const keyIds = new WeakMap<KeyObject, string>();

function keyIdOf(key: KeyObject): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = createHash('sha256')
      .update(key.export({ format: 'der', type: 'spki' }))
      .digest('base64');
    keyIds.set(key, id);
  }
  return id;
}

/** The public key of each private key this process signs with (derived from it, so they always match). */
const publicKeys = new WeakMap<KeyObject, KeyObject>();

function publicKeyOfPrivate(privateKey: KeyObject): KeyObject {
  let key = publicKeys.get(privateKey);
  if (key === undefined) {
    key = createPublicKey(privateKey);
    publicKeys.set(privateKey, key);
  }
  return key;
}

const memoKey = (key: KeyObject, message: Uint8Array, signature: Uint8Array): string =>
  `${keyIdOf(key)}|${createHash('sha256').update(message).digest('base64')}|${Buffer.from(
    signature.buffer,
    signature.byteOffset,
    signature.byteLength,
  ).toString('base64')}`;

/** `crypto.verify` for Ed25519, remembering the verdict for the identical (key, message, signature). */
export function verifyEd25519(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  const memo = memoKey(key, message, signature);
  const known = verdicts.get(memo);
  if (known !== undefined) return known;
  const verdict = verify(null, message, key, signature);
  verdicts.set(memo, verdict);
  return verdict;
}

/** `crypto.sign` for Ed25519; the signature is remembered as valid under the signing key's public key. */
export function signEd25519(privateKey: KeyObject, message: Uint8Array): Buffer {
  const signature = sign(null, message, privateKey);
  verdicts.set(memoKey(publicKeyOfPrivate(privateKey), message, signature), true);
  return signature;
}
