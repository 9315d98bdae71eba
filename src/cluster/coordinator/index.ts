// The coordinator: write and read protocols, read repair, anti-entropy (DESIGN §6–7).
export { Coordinator } from './coordinator.ts';
export type { BatchOp, BatchOpResult, BatchOptions } from './batch-types.ts';
export type { ClusterParams, CoordinatorContext, CoordinatorTimeouts } from './coordinator-context.ts';
export type { SecretVersionValue, VersionSelector } from './reader.ts';
export { runAntiEntropy, type AntiEntropyReport } from './anti-entropy.ts';
export { startPendingSweeper } from './pending-sweeper.ts';
export type { AdminOutcome } from './tenant-admin.ts';
export type { TenantKeyAccess, TenantKeyOutcome, TenantKeyRequest, TenantKeyStatus } from './tenant-keys.ts';
export { controlPartition, type CreatedToken } from './control-admin.ts';
export { lacksShard, recoverShard, scheduleRecovery } from './share-recovery.ts';
export type { TokenRequest } from './control-admin.ts';
export { shardRedundancy, type SecretRedundancy, type ShardState } from './shard-redundancy.ts';
export type {
  ClientWriteOp,
  ClientWriteStatus,
  OrderedClientWrite,
  PlannedClientOp,
  PreparedClientWrite,
  ResolvedVersion,
} from './client-side-write.ts';
export { refreshVersion, type RefreshOutcome } from './share-refresh.ts';
export type { RefreshProgress, RefreshStatus } from './share-refresh-jobs.ts';
export { collectSuperseded, startShareRefreshUpkeep } from './share-refresh-upkeep.ts';
