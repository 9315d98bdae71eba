// view — each node's materialised metadata, rebuilt from the log alone (I-V1, I-V2).
export { ViewStore } from './view-store.ts';
export type {
  KeyState,
  PlannedOp,
  RejectionCode,
  VersionInfo,
  WriteKind,
  WriteOutcome,
  WriteRecord,
  WriteState,
} from './view-types.ts';
