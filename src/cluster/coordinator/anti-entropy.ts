// Anti-entropy (DESIGN §7.5): after replay, restore redundancy for every version this node should hold but
// lacks, by reconstructing from the other holders and re-splitting through the repair protocol.
import { holdersFor } from '../placement.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { repairVersion } from './repairer.ts';
import { fetchValue } from './shard-fetch.ts';

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
    if (context.shards.hasCommitted({ key, version: version.version, writeId: version.writeId })) continue;
    missing += 1;
    try {
      const { value } = await fetchValue(context, key, version);
      if (await repairVersion(context, key, version.version, version.writeId, value)) repaired += 1;
    } catch (error) {
      context.logger.warn({ err: error }, 'anti-entropy could not restore a version yet');
    }
  }
  return { checked, missing, repaired };
}
