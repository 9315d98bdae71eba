// History recording and checking for cluster tests (README.md): record, read the final state, check.
export {
  classify,
  HistoryRecorder,
  type HistoryClient,
  type HistoryRecorderOptions,
} from './history-recorder.ts';
export { readFinalState, type FinalReadClient, type FinalStateOptions } from './final-state.ts';
export { checkHistory, formatAnomalies } from './history-checker.ts';
export { describeOp } from './describe.ts';
export type * from './history-types.ts';
