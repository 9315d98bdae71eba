// Proactive share refresh on one node (issue #9, I-R1): its participant (the refresh holder, behind the peer
// API and the in-process peers), every member as a participant for its refresher, the settings from the
// node config, and the state machine's log-time limits (the same on every node).
import type { AuditPathHasher, AuditSink } from '../audit/index.ts';
import {
  type InProcessPeers,
  type LogApplier,
  PairSecrets,
  partitionForTenant,
  RefreshHolder,
  type RefreshContext,
  type RefreshPeer,
  type RemoteShardHolder,
} from '../cluster/index.ts';
import type { RefreshLimits, SecretKey } from '../secrets/index.ts';
import type { ShardStore } from '../shards/index.ts';
import type { TrustMaterial } from '../trust/index.ts';
import type { ViewStore } from '../view/index.ts';
import type { NodeConfig } from './node-config.ts';

/** What the state machine enforces: identical on every node, or nodes could disagree (I-X1). */
export function refreshLimits(config: NodeConfig, partitionCount: number): RefreshLimits {
  const { timeoutMs, minIntervalMs, maxStartsPerSecond } = config.shareRefresh;
  return {
    timeoutMs,
    minIntervalMs,
    maxStartsPerSecond,
    partitionOf: (tenant) => partitionForTenant(tenant, partitionCount),
  };
}

export interface RefreshWiring {
  readonly config: NodeConfig;
  readonly trust: TrustMaterial;
  readonly applier: LogApplier;
  readonly view: ViewStore;
  readonly shards: ShardStore;
  readonly placement: (key: SecretKey) => readonly string[];
  /** This node's audit trail and path hasher: every refresh step lands there (I-A1's holder side). */
  readonly audit: { readonly sink: AuditSink; readonly hasher: AuditPathHasher };
  readonly remotes: readonly RemoteShardHolder[];
  readonly inProcessPeers?: InProcessPeers | undefined;
}

export function wireShareRefresh(wiring: RefreshWiring): { holder: RefreshHolder; refresh: RefreshContext } {
  const { config } = wiring;
  const holder = new RefreshHolder({
    applier: wiring.applier,
    view: wiring.view,
    shards: wiring.shards,
    applyTimeoutMs: config.timeouts.applyMs,
    trust: wiring.trust,
    pairSecrets: new PairSecrets(wiring.trust),
    placement: wiring.placement,
    threshold: config.sharing.k,
    audit: async (record) => void (await wiring.audit.sink.append(record)),
    pathHmac: (key) => wiring.audit.hasher.pathHmac(key.tenant, key.namespace, key.name),
  });
  const peers = new Map<string, RefreshPeer>([
    [config.nodeId, holder],
    ...wiring.remotes.map(
      (remote) =>
        [
          remote.nodeId,
          wiring.inProcessPeers?.refreshPeerFor(remote.nodeId, config.nodeId) ?? remote,
        ] as const,
    ),
  ]);
  const { intervalMs, tenants, graceMs, timeoutMs, minIntervalMs, maxStartsPerSecond } = config.shareRefresh;
  return {
    holder,
    refresh: {
      peers,
      settings: {
        ...(intervalMs === undefined ? {} : { intervalMs }),
        ...(tenants === undefined ? {} : { tenants }),
        graceMs,
        limits: { timeoutMs, minIntervalMs, maxStartsPerSecond },
      },
    },
  };
}
