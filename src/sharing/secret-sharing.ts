// Sharing a secret version's value with its integrity tag, and reading it back verified (DESIGN §7, I-C1).
import { DsvError } from '../errors/index.ts';
import { checkIdentity, openPayload, sealPayload, type SecretIdentity } from './payload-tag.ts';
import { checkThreshold, combineBytes, isList, splitBytes, type Share } from './shamir.ts';
import { compatibleSubsets, distinctPoints, MAX_SUBSETS, usableShares } from './share-subsets.ts';

/** Splits value ‖ tag(identity, value) into n shares with threshold k (DESIGN §6 step 4). */
export function splitSecret(identity: SecretIdentity, value: Uint8Array, n: number, k: number): Share[] {
  checkThreshold(n, k);
  const payload = sealPayload(identity, value);
  try {
    return splitBytes(payload, n, k);
  } finally {
    payload.fill(0); // no plaintext copy outlives the call (I-S1 starts here)
  }
}

/**
 * Reconstructs the value of `identity` from the shares that arrived, in arrival order. Tries the first k
 * shares, then other k-subsets (at most MAX_SUBSETS), and returns the value of the first subset whose tag
 * verifies. I-C1: never returns a value whose integrity check failed.
 *
 * @throws DsvError DSV_INSUFFICIENT_SHARDS when fewer than k distinct usable shares arrived;
 *   DSV_INTEGRITY_FAILED when no subset tried verifies; DSV_INPUT_INVALID for a bad k or identity.
 */
export function reconstructSecret(identity: SecretIdentity, shares: readonly Share[], k: number): Uint8Array {
  checkThreshold(k, k);
  checkIdentity(identity);
  if (!isList(shares)) throw new DsvError('DSV_INPUT_INVALID', 'the shares must be a list');
  const usable = usableShares(shares);
  const points = distinctPoints(usable);
  if (points < k) {
    throw new DsvError('DSV_INSUFFICIENT_SHARDS', undefined, { details: { received: points, required: k } });
  }
  let tried = 0;
  for (const subset of compatibleSubsets(usable, k)) {
    if (tried >= MAX_SUBSETS) break;
    tried++;
    const payload = combineBytes(subset);
    const value = openPayload(identity, payload);
    const result = value?.slice();
    payload.fill(0); // keep no extra copy of the payload (or of a wrong combination) around
    if (result !== undefined) return result;
  }
  throw new DsvError('DSV_INTEGRITY_FAILED', undefined, { details: { subsetsTried: tried } });
}
