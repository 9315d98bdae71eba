// One readable line per operation, for anomaly descriptions: who, what, where, when, and how it ended.
import type { Operation } from './history-types.ts';

export function describeOp(op: Operation): string {
  const target = op.op === 'readVersion' ? `${op.key}@v${op.version ?? '?'}` : op.key;
  const node = op.node.replace(/^https?:\/\//, '');
  const outcome = op.outcome;
  let result: string;
  switch (outcome.type) {
    case 'ok':
      result =
        outcome.version !== undefined
          ? `ok v${outcome.version}`
          : outcome.value !== undefined
            ? `ok "${outcome.value}"`
            : 'ok';
      break;
    case 'fail':
      result = `fail ${outcome.status} ${outcome.code ?? ''}`.trimEnd();
      break;
    case 'unknown':
      result = `unknown (${outcome.reason})`;
      break;
  }
  const written = op.value === undefined ? '' : ` "${op.value}"`;
  return `#${op.id} ${op.client} ${op.op} ${target}${written} on ${node} → ${result} [${op.invokedAt.toFixed(1)}–${op.completedAt.toFixed(1)} ms]`;
}
