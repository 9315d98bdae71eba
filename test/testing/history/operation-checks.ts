// Checks of one key's recorded operations against each other and the final state: acknowledged writes survive
// at their version (a), acknowledged versions are unique per incarnation (d), reads return only values of
// writes that may have happened (c), and reads never go back in time (e). DESIGN §5–§7, §11.
import { describeOp } from './describe.ts';
import type { FinalView } from './final-state-checks.ts';
import type { Anomaly, Operation } from './history-types.ts';

type Report = (kind: Anomaly['kind'], description: string, operations: readonly Operation[]) => void;

/** When a write or delete may have taken effect at the latest: an `unknown` one may still happen at any time. */
const latestEffect = (op: Operation): number =>
  op.outcome.type === 'unknown' ? Number.POSITIVE_INFINITY : op.completedAt;

/** Deletes that may have happened (acknowledged or unknown); a failed delete never did. */
const possibleDeletes = (ops: readonly Operation[]) =>
  ops.filter((op) => op.op === 'delete' && op.outcome.type !== 'fail');

/** Could some delete be ordered after `a` took effect and before `b` did (a new incarnation between them)? */
function deleteMayFallBetween(a: Operation, b: Operation, deletes: readonly Operation[]): boolean {
  return deletes.some(
    (d) => a.invokedAt < latestEffect(d) && d.invokedAt < b.completedAt && a.invokedAt < b.completedAt,
  );
}

/** (a) and (d): acknowledged writes, against each other and the final state. */
export function checkAcknowledgedWrites(ops: readonly Operation[], final: FinalView, report: Report): void {
  const deletes = possibleDeletes(ops);
  const acked = ops.filter((op) => (op.op === 'create' || op.op === 'update') && op.outcome.type === 'ok');
  const byVersion = new Map<number, Operation[]>();
  for (const write of acked) {
    const version = write.outcome.type === 'ok' ? (write.outcome.version ?? 0) : 0;
    if (write.op === 'create' && version !== 1) {
      report('version-gap', `a create was acknowledged with version ${version}: ${describeOp(write)}`, [
        write,
      ]);
    }
    for (const other of byVersion.get(version) ?? []) {
      if (!deleteMayFallBetween(other, write, deletes) && !deleteMayFallBetween(write, other, deletes)) {
        report(
          'duplicate-version',
          `two acknowledged writes got version ${version}: ${describeOp(other)} / ${describeOp(write)}`,
          [other, write],
        );
      }
    }
    byVersion.set(version, [...(byVersion.get(version) ?? []), write]);
    // (a) A write no delete may follow must be in the final state, at its version, with its value.
    const mayBeDeleted = deletes.some((d) => write.invokedAt < latestEffect(d));
    if (final.reference && !mayBeDeleted && final.reference.get(version) !== write.value) {
      const found = write.value === undefined ? undefined : final.versionOf.get(write.value);
      const where = found === undefined ? 'is in no version' : `is at version ${found}`;
      report('lost-write', `acknowledged write ${where}: ${describeOp(write)}`, [write]);
    }
  }
}

/** (c) every value read names a write of this key that was invoked before the read finished and did not fail. */
export function checkReadValues(
  ops: readonly Operation[],
  writesByValue: ReadonlyMap<string, Operation>,
  final: FinalView,
  report: Report,
): void {
  const neverDeleted = possibleDeletes(ops).length === 0;
  for (const read of ops) {
    if ((read.op !== 'read' && read.op !== 'readVersion') || read.outcome.type !== 'ok') continue;
    const value = read.outcome.value ?? '';
    const write = writesByValue.get(value);
    if (!write || write.invokedAt > read.completedAt) {
      report(
        'phantom-value',
        `read returned a value no earlier write of this key sent: ${describeOp(read)}`,
        [read],
      );
      continue;
    }
    if (write.outcome.type === 'fail') {
      report(
        'aborted-value',
        `read returned the value of a failed write: ${describeOp(read)} ← ${describeOp(write)}`,
        [read, write],
      );
      continue;
    }
    const wrote = write.outcome.type === 'ok' ? write.outcome.version : final.versionOf.get(value);
    if (read.op === 'readVersion' && wrote !== undefined && wrote !== read.version) {
      report(
        'divergent-read',
        `read of version ${read.version} returned version ${wrote}'s value: ${describeOp(read)}`,
        [read, write],
      );
    }
    // A value a read saw was committed; on a key never deleted it must still be there at the end.
    if (neverDeleted && final.reference && write.outcome.type === 'unknown' && !final.versionOf.has(value)) {
      report('vanished-value', `a value that was read is in no final version: ${describeOp(read)}`, [
        read,
        write,
      ]);
    }
  }
}

/**
 * (e) On a key never deleted, versions only grow: an operation that completed having established version v
 * (an acknowledged write of v, a read of v's value, a read of version v) bounds every read invoked after it.
 * Reads are strong (DESIGN §7.1), so this holds across clients too ('stale-read'), not only per client.
 */
export function checkRealTimeOrder(ops: readonly Operation[], final: FinalView, report: Report): void {
  if (possibleDeletes(ops).length > 0 || !final.reference) return;
  const established = (op: Operation): number | undefined => {
    if (op.outcome.type !== 'ok') return undefined;
    if (op.op === 'create' || op.op === 'update') return op.outcome.version;
    if (op.op === 'readVersion') return op.version;
    if (op.op === 'read') return final.versionOf.get(op.outcome.value ?? '');
    return undefined;
  };
  const witnesses = ops
    .map((op) => ({ op, version: established(op) }))
    .filter((w): w is { op: Operation; version: number } => w.version !== undefined);
  for (const op of ops) {
    const seen = observed(op, final);
    if (seen === undefined) continue;
    const before = witnesses.filter((w) => w.op.completedAt < op.invokedAt && w.version > seen.latest);
    if (before.length === 0) continue;
    const own = before.find((w) => w.op.client === op.client);
    const witness = own ?? before.reduce((a, b) => (b.version > a.version ? b : a));
    report(
      own ? 'non-monotonic-read' : 'stale-read',
      `${seen.what} after version ${witness.version} was established: ${describeOp(op)} after ${describeOp(witness.op)}`,
      [witness.op, op],
    );
  }
}

/** The latest version an operation saw when it was served (a 404 saw none, or none up to the version asked). */
function observed(op: Operation, final: FinalView): { latest: number; what: string } | undefined {
  const outcome = op.outcome;
  if (op.op === 'read' && outcome.type === 'ok') {
    const version = final.versionOf.get(outcome.value ?? '');
    return version === undefined ? undefined : { latest: version, what: `read saw version ${version}` };
  }
  if (outcome.type !== 'fail' || outcome.status !== 404) return undefined;
  if (op.op === 'read' || op.op === 'update') return { latest: 0, what: `${op.op} answered 404` };
  if (op.op === 'readVersion') {
    return { latest: (op.version ?? 1) - 1, what: `read of version ${op.version ?? '?'} answered 404` };
  }
  return undefined;
}
