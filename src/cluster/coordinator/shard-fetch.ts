// Read protocol core (DESIGN §7.2–7.4): ask k holders (more when one fails or is slow), combine the first k
// shares that verify.
import { randomInt, randomUUID } from 'node:crypto';
import type { Caller } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { SecretKey } from '../../secrets/index.ts';
import { commitmentMatches, reconstructSecret, type Share } from '../../sharing/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import type { ReadPurpose, ReleasedShard, ShardHolder } from '../shard-holder.ts';
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
}

/** A holder slower than this gets company: one more holder is asked (a hedged read, DESIGN §7.2). */
export const HEDGE_AFTER_MS = 25;

/** One read in this many asks every holder: each one's shard gets opened now and then (a scrub). */
export const FULL_READ_EVERY = 16;

/** Whether this read asks every holder; a seam so tests can pin the choice. */
export const readPolicy = { scrub: (): boolean => randomInt(FULL_READ_EVERY) === 0 };

/**
 * This node's own holder first (no network), then the holders membership sees up in random order, then the
 * rest. Random, and now and then all of them: a holder that is never asked would never notice that a shard
 * it stores no longer opens, and that damage would surface only when another holder is lost (review of #10).
 */
function readOrder(context: CoordinatorContext, holders: readonly ShardHolder[]): ShardHolder[] {
  const rank = (holder: ShardHolder): number =>
    holder.nodeId === context.nodeId ? 0 : context.membership.isUp(holder.nodeId) ? 1 : 2;
  const shuffled = [...holders];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as ShardHolder, shuffled[i] as ShardHolder];
  }
  return shuffled.sort((a, b) => rank(a) - rank(b));
}

/**
 * Asks k holders for their shards, not all n (issue #10): every release costs its holder a durable audit
 * record and a decryption. A holder that answers without a usable share, fails, or is slower than
 * HEDGE_AFTER_MS makes room for the next one, so up to n are asked when needed (I-C1 as before: only a
 * combination whose payload tag verifies is returned).
 */
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
  const waiting = readOrder(context, holdersOf(context, key));
  const shares: Share[] = [];

  const value = await new Promise<Uint8Array>((resolve, reject) => {
    let inFlight = 0;
    let done = false;
    let integrityFailed = false;
    let hedge: NodeJS.Timeout | undefined;
    const finish = (outcome: () => void) => {
      done = true;
      clearTimeout(hedge);
      outcome();
    };
    const tryCombine = () => {
      if (done || shares.length < k) return;
      try {
        // I-C1: reconstructSecret verifies the tag inside the payload and never returns an unverified value.
        const combined = reconstructSecret(identity, shares, k);
        finish(() => resolve(combined));
      } catch {
        integrityFailed = true; // ask for more shares: another k-subset may verify
      }
    };
    const armHedge = () => {
      clearTimeout(hedge);
      if (waiting.length > 0) hedge = setTimeout(() => (askNext(), armHedge()), HEDGE_AFTER_MS);
    };
    const settled = () => {
      inFlight -= 1;
      if (done) return;
      tryCombine();
      if (done) return;
      // Too few shares in hand and in flight to reach k (or a bad share among them): ask the next holder.
      if (integrityFailed || shares.length + inFlight < k) askNext();
      if (inFlight === 0 && !done) {
        finish(() =>
          reject(
            new DsvError(
              integrityFailed && shares.length >= k ? 'DSV_INTEGRITY_FAILED' : 'DSV_INSUFFICIENT_SHARDS',
              undefined,
              { details: { answered: shares.length, needed: k } },
            ),
          ),
        );
      }
    };
    const askNext = () => {
      const holder = waiting.shift();
      if (!holder || done) return;
      inFlight += 1;
      holder
        .read({
          key,
          partition,
          minOffset,
          version: version.version,
          writeId: version.writeId,
          credential: forwardable(access.caller).credentialFor(holder.nodeId),
          purpose: access.purpose,
          requestId,
          generation: version.generation, // I-R3: every share of one generation
        })
        .then((found) => {
          if (found && verifiedShare(key, version, found))
            shares.push({ x: found.index + 1, y: found.share });
          else if (found) context.logger.warn({ node: holder.nodeId }, 'a shard did not open its commitment');
          if (holder.nodeId !== context.nodeId) context.membership.markSeen(holder.nodeId);
        })
        .catch(() => undefined)
        .finally(settled);
    };
    const first = readPolicy.scrub() ? waiting.length : k;
    for (let asked = 0; asked < first; asked++) askNext();
    if (inFlight === 0)
      finish(() =>
        reject(new DsvError('DSV_INSUFFICIENT_SHARDS', undefined, { details: { answered: 0, needed: k } })),
      );
    else armHedge();
  });
  return { value, writeId: version.writeId };
}

/**
 * A caller that authenticated with a node credential (client-side mode) has nothing to forward: this node
 * cannot vouch for it at the holders, so it reads client-side (gateway/bearer-authenticator.ts, I-G3).
 */
function forwardable(caller: Caller): Caller & Required<Pick<Caller, 'credentialFor'>> {
  if (!caller.credentialFor)
    throw new DsvError(
      'DSV_AUTH_FORBIDDEN',
      'A node credential cannot be forwarded to the holders: read client-side',
    );
  return caller as Caller & Required<Pick<Caller, 'credentialFor'>>;
}

/**
 * fetchValue, tolerant of a concurrent repair or share refresh: a repair commit replaces a version's shards
 * under a new write id, a refresh under a new generation (I-R3), so a reader that resolved the old sharing
 * can find too few shards once its holders dropped it. It then catches up and, if the version's write id or
 * generation moved, tries again (bounded) — the value is the same, only its sharing changed (DESIGN §7.4).
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
      if (!fresh || (fresh.writeId === info.writeId && fresh.generation === info.generation)) throw error;
      info = fresh;
    }
  }
}
