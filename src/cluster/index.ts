// cluster — node identity, membership, peer transport and the coordinator (I-C1: reads never return a value
// whose integrity check failed).
export { LogApplier } from './applier.ts';
export { LocalShardHolder } from './local-shard-holder.ts';
export { Membership, type MembershipOptions, type PeerHealth, type PeerStatus } from './membership.ts';
export { controlPartitionOf, holdersFor, partitionForTenant, secretId } from './placement.ts';
export type {
  ClientFacingHolder,
  ReleasedShard,
  ShardHolder,
  ShardReadRequest,
  StageReceipt,
  StageRequest,
  StageShard,
} from './shard-holder.ts';
export { buildPeerServer, type PeerServerOptions } from './peer/peer-server.ts';
export { InProcessPeers, type InProcessPeer } from './peer/in-process-peers.ts';
export {
  RemoteShardHolder,
  type PeerEndpoint,
  type RemoteHolderOptions,
} from './peer/remote-shard-holder.ts';
export * from './coordinator/index.ts';
export { PairSecrets } from './pair-secrets.ts';
export { RefreshHolder } from './refresh-holder.ts';
export type { RefreshContext, RefreshPeer, ShareRefreshSettings } from './refresh-types.ts';
