// The history checker: a pure function from recorded operations and the final state to anomalies, per key.
// What it checks and why is in README.md beside it; each check cites DESIGN §5–§7 and §11.
import { checkFinalState } from './final-state-checks.ts';
import type { Anomaly, FinalState, HistoryReport, Operation } from './history-types.ts';
import { checkAcknowledgedWrites, checkReadValues, checkRealTimeOrder } from './operation-checks.ts';
import { describeOp } from './describe.ts';

export function checkHistory(operations: readonly Operation[], final: FinalState): HistoryReport {
  const anomalies: Anomaly[] = [];
  const byKey = new Map<string, Operation[]>();
  for (const op of operations) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  let finalReads = 0;
  for (const key of new Set([...byKey.keys(), ...final.keys.keys()])) {
    const ops = byKey.get(key) ?? [];
    const report = (kind: Anomaly['kind'], description: string, involved: readonly Operation[]) =>
      anomalies.push({
        kind,
        key,
        description: `${key}: ${description}`,
        operations: involved.map((op) => op.id),
      });
    const writesByValue = new Map<string, Operation>();
    for (const op of ops) {
      if (op.value !== undefined) writesByValue.set(op.value, op);
    }
    const view = checkFinalState(key, final.keys.get(key) ?? [], writesByValue, anomalies);
    finalReads += view.reads;
    checkServerErrors(ops, report);
    checkAcknowledgedWrites(ops, view, report);
    checkReadValues(ops, writesByValue, view, report);
    checkRealTimeOrder(ops, view, report);
  }
  const outcomes = { ok: 0, fail: 0, unknown: 0 };
  for (const op of operations) outcomes[op.outcome.type]++;
  return { operationsChecked: operations.length + finalReads, anomalies, outcomes };
}

/** DESIGN §11: "5xx other than 503 is a bug" — and so is an answer the v1 contract does not have. */
function checkServerErrors(
  ops: readonly Operation[],
  report: (kind: Anomaly['kind'], description: string, involved: readonly Operation[]) => void,
): void {
  for (const op of ops) {
    if (op.outcome.type === 'unknown' && op.outcome.status !== undefined && op.outcome.status !== 503) {
      report('server-error', `an answer outside the contract: ${describeOp(op)}`, [op]);
    }
  }
}

/** A few lines for a test failure message: each anomaly, then how many more. */
export function formatAnomalies(anomalies: readonly Anomaly[], limit = 20): string {
  const lines = anomalies.slice(0, limit).map((anomaly) => `[${anomaly.kind}] ${anomaly.description}`);
  if (anomalies.length > limit) lines.push(`… and ${anomalies.length - limit} more`);
  return lines.join('\n');
}
