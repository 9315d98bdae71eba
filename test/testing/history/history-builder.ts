// Hand-built histories and final states for the checker's unit tests (test/testing/history/history-checker.test.ts).
import type { FinalState, NodeFinalRead, Operation, OperationKind, Outcome } from './history-types.ts';

const NODES = ['http://n0', 'http://n1', 'http://n2'];

/** A tiny history builder: times are [start, end] in ms; ids count up. */
export function history() {
  const ops: Operation[] = [];
  const add = (
    client: string,
    op: OperationKind,
    key: string,
    [invokedAt, completedAt]: [number, number],
    outcome: Outcome,
    fields: { value?: string; version?: number } = {},
  ): Operation => {
    const operation = {
      id: ops.length,
      client,
      node: NODES[0] ?? '',
      op,
      key,
      ...fields,
      invokedAt,
      completedAt,
      outcome,
    };
    ops.push(operation);
    return operation;
  };
  return {
    ops,
    write: (
      client: string,
      op: 'create' | 'update',
      key: string,
      t: [number, number],
      value: string,
      outcome: Outcome,
    ) => add(client, op, key, t, outcome, { value }),
    read: (client: string, key: string, t: [number, number], outcome: Outcome) =>
      add(client, 'read', key, t, outcome),
    readVersion: (client: string, key: string, version: number, t: [number, number], outcome: Outcome) =>
      add(client, 'readVersion', key, t, outcome, { version }),
    remove: (client: string, key: string, t: [number, number], outcome: Outcome) =>
      add(client, 'delete', key, t, outcome),
  };
}

export const ok = (version: number): Outcome => ({ type: 'ok', version });
export const got = (value: string): Outcome => ({ type: 'ok', value });
export const done: Outcome = { type: 'ok' };
export const fail = (status: number, code: string): Outcome => ({ type: 'fail', status, code });
export const unknown: Outcome = {
  type: 'unknown',
  reason: 'unavailable',
  status: 503,
  code: 'DSV_WRITE_QUORUM_FAILED',
};

/** Every node agrees on `values` (version i + 1 → values[i]); `[]` means the key does not exist. */
export function nodeRead(node: string, values: readonly string[]): NodeFinalRead {
  return {
    node,
    all:
      values.length === 0
        ? { status: 404, code: 'DSV_SECRET_NOT_FOUND' }
        : { status: 200, code: null, versions: new Map(values.map((value, i) => [i + 1, value])) },
    byVersion: [
      ...values.map((value, i) => ({ version: i + 1, status: 200, code: null, value })),
      { version: values.length + 1, status: 404, code: 'DSV_SECRET_NOT_FOUND' },
    ],
  };
}
export const finalOf = (entries: Record<string, readonly string[]>): FinalState => ({
  keys: new Map(
    Object.entries(entries).map(([key, values]) => [key, NODES.map((node) => nodeRead(node, values))]),
  ),
});
