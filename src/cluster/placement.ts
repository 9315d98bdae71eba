// Placement (DESIGN §4): which nodes hold a secret's shards (rendezvous hashing, in the leaf src/kernel so the
// client library computes it too) and which log partition a tenant's records go to.
import { createHash } from 'node:crypto';

import { BoundedMemo } from '../kernel/bounded-memo.ts';

export { holdersFor, secretId } from '../kernel/placement.ts';

/** The control partition (tokens, policies, tenants, node revocations) is the last one (DESIGN §5). */
export const controlPartitionOf = (partitionCount: number): number => partitionCount - 1;

/** Data partitions are keyed by tenant (DESIGN §5): every partition before the control partition. */
export function partitionForTenant(tenant: string, partitionCount: number): number {
  return partitions.getOrCompute(JSON.stringify([partitionCount, tenant]), () => {
    const dataPartitions = Math.max(1, controlPartitionOf(partitionCount));
    return createHash('sha256').update(tenant, 'utf8').digest().readUInt32BE(0) % dataPartitions;
  });
}

/** A pure function asked on every request: remembered per (partition count, tenant), bounded. */
const partitions = new BoundedMemo<number>(4096);
