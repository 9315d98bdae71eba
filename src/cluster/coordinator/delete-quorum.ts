// A delete answers only once n − k + 1 holders applied it, so fewer than k shards can survive (DESIGN §6.6).
import { DsvError } from '../../errors/index.ts';
import type { SecretKey } from '../../secrets/index.ts';
import { holdersOf, type CoordinatorContext } from './coordinator-context.ts';

export async function awaitDeleteQuorum(
  context: CoordinatorContext,
  partition: number,
  commitOffset: number,
  keys: readonly SecretKey[],
): Promise<void> {
  const { n, k } = context.params;
  const nodes = new Set(keys.flatMap((key) => holdersOf(context, key).map((holder) => holder.nodeId)));
  const applied = new Set<string>();
  await Promise.all(
    [...nodes].map(async (nodeId) => {
      try {
        await context.holders.get(nodeId)?.awaitApplied(partition, commitOffset, context.timeouts.applyMs);
        applied.add(nodeId);
      } catch {
        // counted as not (yet) applied
      }
    }),
  );
  for (const key of keys) {
    const confirmed = holdersOf(context, key).filter((holder) => applied.has(holder.nodeId)).length;
    if (confirmed < n - k + 1)
      throw new DsvError('DSV_DELETE_QUORUM_FAILED', undefined, {
        details: { answered: confirmed, needed: n - k + 1 },
      });
  }
}
