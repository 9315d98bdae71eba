// Read repair and anti-entropy (DESIGN §7.4–7.5): re-split a version's value in memory and redistribute it
// for the same version through repair-intent → stage → commit. Never creates a version.
import type { SecretKey } from '../../secrets/index.ts';
import { splitSecret } from '../../sharing/index.ts';
import {
  appendAbort,
  appendAndApply,
  holdersOf,
  newWriteId,
  partitionOf,
  writeRecord,
  type CoordinatorContext,
} from './coordinator-context.ts';

const inFlight = new WeakMap<CoordinatorContext, Set<string>>();

/** Starts a repair unless one for the same version is already running on this node. */
export function scheduleRepair(
  context: CoordinatorContext,
  key: SecretKey,
  version: number,
  baseWriteId: string,
  value: Uint8Array,
): void {
  const running = inFlight.get(context) ?? new Set<string>();
  inFlight.set(context, running);
  const id = JSON.stringify([key.tenant, key.namespace, key.name, version]);
  if (running.has(id)) return;
  running.add(id);
  repairVersion(context, key, version, baseWriteId, value)
    .catch((error: unknown) => context.logger.warn({ err: error }, 'read repair failed'))
    .finally(() => running.delete(id));
}

export async function repairVersion(
  context: CoordinatorContext,
  key: SecretKey,
  version: number,
  baseWriteId: string,
  value: Uint8Array,
): Promise<boolean> {
  const { n, k, w } = context.params;
  const partition = partitionOf(context, key.tenant);
  const writeId = newWriteId();
  const intentOffset = await appendAndApply(context, partition, {
    type: 'repair',
    writeId,
    tenant: key.tenant,
    time: Date.now(),
    coordinator: context.nodeId,
    namespace: key.namespace,
    name: key.name,
    version,
    baseWriteId,
  });
  if (writeRecord(context, writeId).state !== 'pending') return false;
  const shares = splitSecret({ ...key, version }, value, n, k);
  const acked: string[] = [];
  await Promise.all(
    holdersOf(context, key).map(async (holder, index) => {
      try {
        await holder.stage({
          tenant: key.tenant,
          partition,
          minOffset: intentOffset,
          shards: [
            {
              namespace: key.namespace,
              name: key.name,
              version,
              writeId,
              index,
              share: shares[index]?.y ?? new Uint8Array(),
            },
          ],
        });
        acked.push(holder.nodeId);
      } catch {
        // not acknowledged
      }
    }),
  );
  if (acked.length < w) {
    await appendAbort(context, partition, key.tenant, writeId, 'quorum');
    return false;
  }
  await appendAndApply(context, partition, {
    type: 'commit',
    writeId,
    tenant: key.tenant,
    time: Date.now(),
    holders: acked.sort(),
  });
  context.logger.info({ version, holders: acked.length }, 'repaired a secret version');
  return writeRecord(context, writeId).state === 'committed';
}
