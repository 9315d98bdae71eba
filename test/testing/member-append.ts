// A member appending whatever record it likes: what one node's stolen signing key and log key allow. An
// attacker does not go through DSV's own encode check (LogCodec refuses to seal what its schema refuses), so
// tests of the apply side (I-L6, I-R2, I-T3 …) append through this, never through a node's codec.
import { join } from 'node:path';
import type { CoordinatorContext } from '../../src/cluster/index.ts';
import { loadTrustMaterial, sealRecord } from '../../src/trust/index.ts';

/** Seals `body` as `nodeId` (its files under `<dataDir>/trust/<nodeId>`), appends it and waits until `context` applied it. */
export async function appendAsMember(
  context: CoordinatorContext,
  dataDir: string,
  nodeId: string,
  partition: number,
  body: object,
): Promise<number> {
  const trust = loadTrustMaterial(join(dataDir, 'trust', nodeId));
  const bytes = sealRecord(
    { signer: trust.identity.nodeId, privateKey: trust.identity.signingKey },
    trust.manifest,
    trust.logKey,
    partition,
    body,
  );
  const { offset } = await context.log.append(partition, '', bytes);
  await context.applier.waitApplied(partition, offset, context.timeouts.applyMs);
  return offset;
}
