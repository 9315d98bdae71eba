// A LocalShardHolder over stand-in dependencies, for unit tests of one decision of the holder: node-0 of a
// three-node placement with a fresh signing key; each test gives the view, store and authentication it needs.
import { generateKeyPairSync } from 'node:crypto';
import type { TrustMaterial } from '../../trust/index.ts';
import type { LogApplier } from '../applier.ts';
import { LocalShardHolder, type LocalHolderDependencies } from '../local-shard-holder.ts';

export function holderWith(deps: Partial<Record<keyof LocalHolderDependencies, unknown>>): LocalShardHolder {
  const trust = {
    identity: { nodeId: 'node-0', signingKey: generateKeyPairSync('ed25519').privateKey },
    manifest: { clusterId: 'c1', members: [] },
    logKey: new Uint8Array(32),
  } as unknown as TrustMaterial;
  return new LocalShardHolder({
    applier: { waitApplied: async () => undefined } as unknown as LogApplier,
    applyTimeoutMs: 1000,
    trust,
    placement: () => ['node-0', 'node-1', 'node-2'],
    threshold: 2,
    audit: async () => undefined,
    pathHmac: () => '0'.repeat(64),
    ...deps,
  } as unknown as LocalHolderDependencies);
}
