// This node's own share of a version as it stores it (share ‖ 32-byte blinding), opened and checked against
// the commitment of the version's current generation (I-C2, I-R1) before anything is derived from it.
import { DsvError } from '../errors/index.ts';
import type { SecretKey } from '../secrets/index.ts';
import type { ShardStore } from '../shards/index.ts';
import { BLINDING_BYTES, commitmentMatches } from '../sharing/index.ts';
import type { VersionInfo } from '../view/index.ts';

export const splitBlinding = (stored: Uint8Array): { share: Uint8Array; blinding: Uint8Array } => ({
  share: stored.subarray(0, stored.length - BLINDING_BYTES),
  blinding: stored.subarray(stored.length - BLINDING_BYTES),
});

/** share ‖ blinding, as a holder stores it (the caller wipes it once sealed). */
export function joinBlinding(share: Uint8Array, blinding: Uint8Array): Uint8Array {
  const stored = new Uint8Array(share.length + blinding.length);
  stored.set(share, 0);
  stored.set(blinding, share.length);
  return stored;
}

/**
 * The committed share at `index` of the version's current generation. Absent, or without a commitment:
 * DSV_SECRET_NOT_FOUND; not opening its commitment: DSV_INTEGRITY_FAILED (a damaged shard is never used).
 */
export async function currentShare(
  shards: ShardStore,
  key: SecretKey,
  info: VersionInfo,
  index: number,
): Promise<{ share: Uint8Array; blinding: Uint8Array }> {
  const { version, writeId, generation } = info;
  const found = await shards.read({ key, version, writeId, generation });
  const commitment = info.commitments?.[String(index)];
  if (!found || commitment === undefined) throw new DsvError('DSV_SECRET_NOT_FOUND', 'No shard here');
  const { share, blinding } = splitBlinding(found.share);
  if (!commitmentMatches(commitment, { ...key, version }, writeId, index, blinding, share))
    throw new DsvError('DSV_INTEGRITY_FAILED', 'This node holds a damaged shard');
  return { share, blinding };
}
