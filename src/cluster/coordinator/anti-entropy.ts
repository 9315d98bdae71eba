// Anti-entropy (DESIGN §7.5): after replay, and then periodically, regain every shard this node should hold
// but lacks, through secret-preserving recovery (design 2026-12-02 §7) — never by reconstructing a value.
import type { CoordinatorContext } from './coordinator-context.ts';
import { lacksShard, recoverShard } from './share-recovery.ts';
import { holdersFor } from '../placement.ts';

export interface AntiEntropyReport {
  readonly checked: number;
  readonly missing: number;
  readonly repaired: number;
}

export async function runAntiEntropy(
  context: CoordinatorContext,
  signal?: AbortSignal,
): Promise<AntiEntropyReport> {
  let checked = 0;
  let missing = 0;
  let repaired = 0;
  for (const version of context.view.allVersions()) {
    if (signal?.aborted) break;
    const key = { tenant: version.tenant, namespace: version.namespace, name: version.name };
    if (!holdersFor(key, context.params.nodeIds, context.params.n).includes(context.nodeId)) continue;
    checked += 1;
    if (!lacksShard(context, key, version)) continue;
    missing += 1;
    try {
      if (await recoverShard(context, key, version)) repaired += 1;
    } catch (error) {
      context.logger.warn({ err: error }, 'anti-entropy could not restore a version yet');
    }
  }
  return { checked, missing, repaired };
}
