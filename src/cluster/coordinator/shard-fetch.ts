// Read protocol core (DESIGN §7.2–7.4): ask every holder at once, combine the first k shares that verify,
// report how many shards exist so the caller can decide on read repair.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../control/token-authenticator.ts';
import { DsvError } from '../../errors/index.ts';
import type { SecretKey } from '../../secrets/index.ts';
import { commitmentMatches, reconstructSecret, type Share } from '../../sharing/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import type { ReadPurpose, ReleasedShard } from '../shard-holder.ts';
import { holdersOf, partitionOf, type CoordinatorContext } from './coordinator-context.ts';

/** On whose behalf, and why, shards are fetched: every holder checks this itself (I-S5). */
export interface ShardAccess {
  readonly caller: Caller;
  readonly purpose: ReadPurpose;
}

/** I-C2: a share counts only when it opens its commitment (versions written before commitments: the tag alone). */
function verifiedShare(key: SecretKey, version: VersionInfo, found: ReleasedShard): boolean {
  const commitment = version.commitments?.[String(found.index)];
  if (version.commitments === undefined) return true;
  if (commitment === undefined || !found.blinding) return false;
  return commitmentMatches(
    commitment,
    { ...key, version: version.version },
    version.writeId,
    found.index,
    found.blinding,
    found.share,
  );
}

export interface FetchedValue {
  readonly value: Uint8Array;
  /** The write id whose shards produced the value (a concurrent repair may have moved it). */
  readonly writeId: string;
  /** Resolves, after every holder answered or timed out, with the number of shards that were found. */
  readonly shardCount: Promise<number>;
}

export async function fetchValue(
  context: CoordinatorContext,
  key: SecretKey,
  version: VersionInfo,
  access: ShardAccess,
): Promise<FetchedValue> {
  const requestId = randomUUID();
  const { k } = context.params;
  const partition = partitionOf(context, key.tenant);
  const minOffset = context.applier.nextOffset(partition);
  const identity = { ...key, version: version.version };
  const shares: Share[] = [];
  let settleCount: (count: number) => void = () => undefined;
  const shardCount = new Promise<number>((resolve) => (settleCount = resolve));

  const value = await new Promise<Uint8Array>((resolve, reject) => {
    const holders = holdersOf(context, key);
    let outstanding = holders.length;
    let done = false;
    let integrityFailed = false;
    const tryCombine = () => {
      if (done || shares.length < k) return;
      try {
        // I-C1: reconstructSecret verifies the tag inside the payload and never returns an unverified value.
        resolve(reconstructSecret(identity, shares, k));
        done = true;
      } catch {
        integrityFailed = true; // wait for more shares: another k-subset may verify
      }
    };
    for (const holder of holders) {
      holder
        .read({
          key,
          partition,
          minOffset,
          version: version.version,
          writeId: version.writeId,
          credential: access.caller.credentialFor?.(holder.nodeId) ?? { kind: 'anonymous' },
          purpose: access.purpose,
          requestId,
        })
        .then((found) => {
          if (found && verifiedShare(key, version, found))
            shares.push({ x: found.index + 1, y: found.share });
          else if (found) context.logger.warn({ node: holder.nodeId }, 'a shard did not open its commitment');
          if (holder.nodeId !== context.nodeId) context.membership.markSeen(holder.nodeId);
          tryCombine();
        })
        .catch(() => undefined)
        .finally(() => {
          outstanding -= 1;
          if (outstanding > 0) return;
          settleCount(shares.length);
          if (!done) {
            reject(
              new DsvError(
                integrityFailed && shares.length >= k ? 'DSV_INTEGRITY_FAILED' : 'DSV_INSUFFICIENT_SHARDS',
                undefined,
                { details: { answered: shares.length, needed: k } },
              ),
            );
          }
        });
    }
  });
  return { value, writeId: version.writeId, shardCount };
}

/**
 * fetchValue, tolerant of a concurrent repair: a repair commit replaces a version's shards under a new write
 * id, so a reader that resolved the old id can find too few shards. It then catches up and, if the version's
 * write id moved, tries again (bounded) — the value is the same, only its sharing changed (DESIGN §7.4).
 */
export async function fetchVersionValue(
  context: CoordinatorContext,
  key: SecretKey,
  version: VersionInfo,
  access: ShardAccess,
): Promise<FetchedValue> {
  let info = version;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchValue(context, key, info, access);
    } catch (error) {
      const retriable =
        error instanceof DsvError &&
        (error.code === 'DSV_INSUFFICIENT_SHARDS' || error.code === 'DSV_INTEGRITY_FAILED');
      if (!retriable || attempt >= 2) throw error;
      await context.applier.catchUp(partitionOf(context, key.tenant), context.timeouts.applyMs);
      const fresh = context.view.version(key, info.version);
      // A delete committed while we read: the answer is what a read after it gives, 404 — not a 503.
      if (!fresh && !context.view.key(key)?.live) throw new DsvError('DSV_SECRET_NOT_FOUND');
      if (!fresh || fresh.writeId === info.writeId) throw error;
      info = fresh;
    }
  }
}
