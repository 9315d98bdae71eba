// Shard redundancy of one secret (issue 12, the console's redundancy view): for each version, which placement
// nodes hold a committed shard (as the log recorded: commits and recoveries), which are missing one, and
// whether each holder is reachable now. Read-only: metadata from the view and membership, never a shard.
import type { SecretKey } from '../../secrets/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import { holdersFor } from '../placement.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { isUp } from './coordinator-context.ts';
import { readHistory } from './reader.ts';

export type ShardState = 'held' | 'unreachable' | 'missing';

export interface VersionRedundancy {
  readonly version: number;
  readonly validFrom: number;
  readonly validTo: number | null;
  /** One entry per placement node, in shard-index order. */
  readonly shards: ReadonlyArray<{
    readonly index: number;
    readonly nodeId: string;
    readonly state: ShardState;
  }>;
  /** Holders that hold a shard and are up: reads need `k` of them. */
  readonly available: number;
}

export interface SecretRedundancy {
  readonly n: number;
  readonly k: number;
  readonly nodes: ReadonlyArray<{ readonly nodeId: string; readonly up: boolean }>;
  readonly versions: readonly VersionRedundancy[];
}

export function versionRedundancy(
  context: CoordinatorContext,
  key: SecretKey,
  info: VersionInfo,
): VersionRedundancy {
  const placement = holdersFor(key, context.params.nodeIds, context.params.n);
  const shards = placement.map((nodeId, index) => {
    const held = info.holders.includes(nodeId);
    const state: ShardState = !held ? 'missing' : isUp(context, nodeId) ? 'held' : 'unreachable';
    return { index, nodeId, state };
  });
  return {
    version: info.version,
    validFrom: info.validFrom,
    validTo: info.validTo,
    shards,
    available: shards.filter((shard) => shard.state === 'held').length,
  };
}

/** The redundancy of every version of `key`, oldest first, as this node's view and membership see it. */
export async function shardRedundancy(
  context: CoordinatorContext,
  key: SecretKey,
): Promise<SecretRedundancy> {
  const { n, k, nodeIds } = context.params;
  const versions = await readHistory(context, key);
  return {
    n,
    k,
    nodes: nodeIds.map((nodeId) => ({ nodeId, up: isUp(context, nodeId) })),
    versions: versions.map((info) => versionRedundancy(context, key, info)),
  };
}
