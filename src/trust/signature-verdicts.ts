// Ed25519 verification is the largest CPU cost of applying the log (≈140 µs each with node:crypto; a write
// carries an intent signature, its endorsements, a commit signature and W receipts, checked by every node).
// A verdict is a pure function of (public key, message, signature), so this process may reuse one it has
// computed itself: in `dsv dev` the three nodes apply the same records, and a node checks a record's
// receipts again when it replays. Nothing from outside the process is trusted here — a cached verdict is
// one this process computed over exactly the same three inputs (I-L5 holds per node; design note
// 2026_12_02_performance §3).
import { createHash, verify, type KeyObject } from 'node:crypto';

/** Bounded: cleared when full (a miss only costs one more verification). */
const MAX_VERDICTS = 65_536;
const verdicts = new Map<string, boolean>();
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

/** `crypto.verify` for Ed25519, remembering the verdict for the identical (key, message, signature). */
export function verifyEd25519(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  const memo = `${keyIdOf(key)}|${createHash('sha256').update(message).digest('base64')}|${Buffer.from(
    signature.buffer,
    signature.byteOffset,
    signature.byteLength,
  ).toString('base64')}`;
  const known = verdicts.get(memo);
  if (known !== undefined) return known;
  const verdict = verify(null, message, key, signature);
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(memo, verdict);
  return verdict;
}
