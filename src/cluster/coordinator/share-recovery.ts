// Holder-driven repair (trust-boundaries design §7; I-S6): this node regains exactly its own shard of a
// version from k helpers' masked contributions, commits to it afresh through the log, and stores it. No node
// ever holds k shards or the value, and no valid shard anywhere is touched.
import { randomUUID } from 'node:crypto';
import { DsvError } from '../../errors/index.ts';
import type { SecretKey } from '../../secrets/index.ts';
import { combineContributions, newBlinding, shareCommitment } from '../../sharing/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import { joinBlinding } from '../held-share.ts';
import { holdersFor } from '../placement.ts';
import { appendAndApply, isUp, partitionOf, type CoordinatorContext } from './coordinator-context.ts';

const inFlight = new WeakMap<CoordinatorContext, Set<string>>();

/** True when this node should hold a shard of the version but has none the commit vouches for. */
export function lacksShard(context: CoordinatorContext, key: SecretKey, info: VersionInfo): boolean {
  const index = holdersFor(key, context.params.nodeIds, context.params.n).indexOf(context.nodeId);
  if (index < 0) return false;
  const { version, writeId, generation } = info;
  if (!context.shards.hasCommitted({ key, version, writeId, generation })) return true; // current generation
  return info.commitments !== undefined && info.commitments[String(index)] === undefined;
}

/** Starts a recovery unless one for the same version is already running on this node. */
export function scheduleRecovery(context: CoordinatorContext, key: SecretKey, info: VersionInfo): void {
  const running = inFlight.get(context) ?? new Set<string>();
  inFlight.set(context, running);
  const id = JSON.stringify([key.tenant, key.namespace, key.name, info.version]);
  if (running.has(id)) return;
  running.add(id);
  recoverShard(context, key, info)
    .catch((error: unknown) => context.logger.warn({ err: error }, 'shard recovery failed'))
    .finally(() => running.delete(id));
}

export async function recoverShard(
  context: CoordinatorContext,
  key: SecretKey,
  info: VersionInfo,
): Promise<boolean> {
  const { n, k } = context.params;
  const placement = holdersFor(key, context.params.nodeIds, n);
  const target = placement.indexOf(context.nodeId);
  if (target < 0 || !lacksShard(context, key, info)) return false;
  const partition = partitionOf(context, key.tenant);
  const helpers = placement
    .map((nodeId, index) => ({ nodeId, index }))
    .filter(({ nodeId, index }) => index !== target && isUp(context, nodeId) && info.holders.includes(nodeId))
    .slice(0, k);
  if (helpers.length < k)
    throw new DsvError('DSV_INSUFFICIENT_SHARDS', 'Too few helpers are up to recover a shard');
  const request = {
    key,
    partition,
    minOffset: context.applier.nextOffset(partition),
    version: info.version,
    writeId: info.writeId,
    target,
    helpers: helpers.map((helper) => helper.index),
    session: randomUUID(),
    generation: info.generation, // helpers refuse when a refresh switched since (I-R1)
  };
  const contributions = await Promise.all(
    helpers.map(({ nodeId }) => {
      const holder = context.holders.get(nodeId);
      if (!holder) throw new DsvError('DSV_NODE_UNAVAILABLE');
      return holder.contribute(request);
    }),
  );
  const share = combineContributions(contributions);
  const blinding = newBlinding();
  const commitment = shareCommitment(
    { ...key, version: info.version },
    info.writeId,
    target,
    blinding,
    share,
  );
  // The record first: a crash after it leaves a commitment without a shard, which the next pass recovers again.
  await appendAndApply(context, partition, {
    type: 'share-restored',
    tenant: key.tenant,
    time: Date.now(),
    namespace: key.namespace,
    name: key.name,
    version: info.version,
    writeId: info.writeId,
    index: target,
    commitment,
    rid: randomUUID(),
    ...(info.generation === 0 ? {} : { generation: info.generation }),
  });
  const current = context.view.version(key, info.version);
  if (
    current?.writeId !== info.writeId ||
    current.generation !== info.generation ||
    current.commitments?.[String(target)] !== commitment
  )
    return false;
  const stored = joinBlinding(share, blinding);
  const address = { key, version: info.version, writeId: info.writeId, generation: info.generation };
  context.shards.put(await context.shards.seal(address, target, stored), 'committed');
  await context.shards.flush(); // on disk before share-restored says this node holds it again
  stored.fill(0);
  share.fill(0);
  context.logger.info({ version: info.version }, 'recovered this node’s shard of a secret version');
  return true;
}
