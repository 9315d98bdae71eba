// view — each node's materialised metadata, rebuilt from the log alone (I-V1, I-V2).
export { ViewStore } from './view-store.ts';
export { NO_QUOTA } from './view-types.ts';
export type { RefreshableVersion, RefreshRecord, RefreshState, RefreshView } from './refresh-view.ts';
export type {
  HoldRecord,
  KeyState,
  PlannedOp,
  RejectionCode,
  TenantKeyRecord,
  TenantQuota,
  VersionInfo,
  WriteKind,
  WriteOutcome,
  WriteRecord,
  WriteState,
} from './view-types.ts';
