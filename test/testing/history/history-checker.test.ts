// The history checker on hand-built histories: a clean one passes, and each anomaly kind is found (DESIGN §5–§7).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkHistory,
  classify,
  type AnomalyKind,
  type FinalState,
  type NodeFinalRead,
  type Operation,
} from './index.ts';
import { done, fail, finalOf, got, history, nodeRead, ok, unknown } from './history-builder.ts';

const kinds = (ops: readonly Operation[], final: FinalState): AnomalyKind[] =>
  checkHistory(ops, final).anomalies.map((anomaly) => anomaly.kind);

describe('history checker', () => {
  it('a clean history — acks, refusals, unknowns that did and did not commit, deletes — has no anomaly', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 10], 'a', ok(1));
    h.write('c2', 'create', 'k', [1, 9], 'x', fail(409, 'DSV_SECRET_EXISTS'));
    h.read('c2', 'k', [11, 12], got('a'));
    h.write('c1', 'update', 'k', [13, 20], 'b', unknown); // committed (it is in the final state)
    h.write('c2', 'update', 'k', [14, 19], 'y', fail(409, 'DSV_WRITE_CONFLICT'));
    h.write('c3', 'update', 'k', [15, 30], 'z', unknown); // never committed
    h.read('c3', 'k', [21, 22], got('b'));
    h.write('c2', 'update', 'k', [23, 25], 'c', ok(3));
    h.readVersion('c1', 'k', 2, [26, 27], got('b'));
    h.readVersion('c1', 'k', 4, [26, 27], fail(404, 'DSV_SECRET_NOT_FOUND'));
    h.read('c1', 'k', [28, 29], got('c'));
    // The delete/recreate workload: the old incarnation's v1 is gone, a new v1 and v2 follow.
    h.write('c1', 'create', 'd', [0, 5], 'd1', ok(1));
    h.remove('c2', 'd', [6, 8], done);
    h.write('c3', 'create', 'd', [9, 12], 'd2', ok(1));
    h.write('c1', 'update', 'd', [13, 14], 'd3', ok(2));
    h.read('c2', 'd', [15, 16], got('d3'));
    const report = checkHistory(h.ops, finalOf({ k: ['a', 'b', 'c'], d: ['d2', 'd3'] }));
    assert.deepEqual(report.anomalies, []);
    // 16 operations + per node (/all + versions 1..N+1): k 3 × 5, d 3 × 4.
    assert.equal(report.operationsChecked, 16 + 15 + 12);
    assert.deepEqual(report.outcomes, { ok: 11, fail: 3, unknown: 2 });
  });

  it('(a) lost-write: an acknowledged write not readable at its version', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c1', 'update', 'k', [2, 3], 'b', ok(2));
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a'] })), ['lost-write']);
  });

  it('(a) an acknowledged write followed by a possible delete is not required at the end', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.remove('c2', 'k', [2, 3], unknown);
    assert.deepEqual(kinds(h.ops, finalOf({ k: [] })), []);
  });

  it('(b) version-gap: versions not dense, or a version past N answers', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c1', 'update', 'k', [2, 3], 'b', unknown);
    const final = finalOf({ k: ['a', 'b'] });
    const [n0] = final.keys.get('k') ?? [];
    assert.ok(n0);
    const gapped: NodeFinalRead = {
      ...n0,
      all: {
        status: 200,
        code: null,
        versions: new Map([
          [1, 'a'],
          [3, 'b'],
        ]),
      },
    };
    const report = checkHistory(h.ops, { keys: new Map([['k', [gapped]]]) });
    assert.ok(
      report.anomalies.some((a) => a.kind === 'version-gap'),
      JSON.stringify(report.anomalies),
    );
    const hidden: NodeFinalRead = {
      ...n0,
      byVersion: [...n0.byVersion.slice(0, 2), { version: 3, status: 200, code: null, value: 'b' }],
    };
    assert.deepEqual(kinds(h.ops, { keys: new Map([['k', [hidden]]]) }), ['version-gap']);
  });

  it('(b) a create acknowledged with a version other than 1 is a gap', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(2));
    assert.ok(kinds(h.ops, finalOf({ k: ['z', 'a'] })).includes('version-gap'));
  });

  it('(c) phantom-value: a value no write sent, or read before its write was invoked', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.read('c2', 'k', [2, 3], got('never-written'));
    h.read('c2', 'k', [4, 5], got('b'));
    h.write('c1', 'update', 'k', [6, 7], 'b', ok(2));
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a', 'b'] })), ['phantom-value', 'phantom-value']);
    assert.deepEqual(kinds(h.ops.slice(0, 1), finalOf({ k: ['a', 'forged'] })), ['phantom-value']);
  });

  it('(c) aborted-value: a failed write’s value read during the run or stored at the end', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c2', 'update', 'k', [2, 3], 'x', fail(409, 'DSV_WRITE_CONFLICT'));
    h.read('c3', 'k', [4, 5], got('x'));
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a'] })), ['aborted-value']);
    assert.deepEqual(kinds(h.ops.slice(0, 2), finalOf({ k: ['a', 'x'] })), ['aborted-value']);
  });

  it('(c) duplicate-value: an unknown write may commit, but at exactly one version', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c2', 'update', 'k', [2, 3], 'u', unknown);
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a', 'u'] })), []);
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a', 'u', 'u'] })), ['duplicate-value']);
  });

  it('(c) vanished-value: a value a read returned is gone at the end', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c2', 'update', 'k', [2, 3], 'u', unknown);
    h.read('c3', 'k', [4, 5], got('u'));
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a'] })), ['vanished-value']);
  });

  it('(d) duplicate-version: two acknowledged writes share a version unless a delete may fall between', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c1', 'update', 'k', [2, 3], 'b', ok(2));
    h.write('c2', 'update', 'k', [2, 4], 'c', ok(2));
    assert.ok(kinds(h.ops, finalOf({ k: ['a', 'b'] })).includes('duplicate-version'));
    const d = history();
    d.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    d.write('c2', 'create', 'k', [2, 3], 'b', ok(1));
    assert.ok(kinds(d.ops, finalOf({ k: ['b'] })).includes('duplicate-version'));
    d.remove('c3', 'k', [1.5, 1.8], done);
    assert.deepEqual(kinds(d.ops, finalOf({ k: ['b'] })), []);
    // A delete that definitely failed cannot separate two incarnations.
    const f = history();
    f.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    f.remove('c3', 'k', [1.5, 1.8], fail(409, 'DSV_WRITE_CONFLICT'));
    f.write('c2', 'create', 'k', [2, 3], 'b', ok(1));
    assert.ok(kinds(f.ops, finalOf({ k: ['b'] })).includes('duplicate-version'));
  });

  it('(e) non-monotonic-read: a client sees an older latest version than it saw before', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c1', 'update', 'k', [2, 3], 'b', ok(2));
    h.read('c2', 'k', [4, 5], got('b'));
    h.read('c2', 'k', [6, 7], got('a'));
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a', 'b'] })), ['non-monotonic-read']);
  });

  it('(e) stale-read: a read invoked after another client’s acknowledged write returns older, or 404', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c1', 'update', 'k', [2, 3], 'b', ok(2));
    h.read('c2', 'k', [4, 5], got('a'));
    h.read('c3', 'k', [4, 5], fail(404, 'DSV_SECRET_NOT_FOUND'));
    h.readVersion('c3', 'k', 2, [6, 7], fail(404, 'DSV_SECRET_NOT_FOUND'));
    h.write('c4', 'update', 'k', [8, 9], 'x', fail(404, 'DSV_SECRET_NOT_FOUND'));
    // Overlapping in time is not stale: this read may be ordered before the update.
    h.read('c5', 'k', [2.5, 5], got('a'));
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a', 'b'] })), [
      'stale-read',
      'stale-read',
      'stale-read',
      'stale-read',
    ]);
  });

  it('divergent-read: nodes disagree, or a read of version v returns another version’s value', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.write('c1', 'update', 'k', [2, 3], 'b', ok(2));
    h.readVersion('c2', 'k', 1, [4, 5], got('b'));
    assert.deepEqual(kinds(h.ops, finalOf({ k: ['a', 'b'] })), ['divergent-read']);
    const final = finalOf({ k: ['a', 'b'] });
    const nodes = [...(final.keys.get('k') ?? [])];
    nodes[2] = nodeRead('http://n2', ['a']);
    assert.ok(kinds(h.ops.slice(0, 2), { keys: new Map([['k', nodes]]) }).includes('divergent-read'));
  });

  it('server-error and unverifiable: a 500 is a bug; a final read that never succeeds is reported', () => {
    const h = history();
    h.write('c1', 'create', 'k', [0, 1], 'a', ok(1));
    h.read('c2', 'k', [2, 3], {
      type: 'unknown',
      reason: 'unexpected answer',
      status: 500,
      code: 'DSV_INTERNAL',
    });
    const final = finalOf({ k: ['a'] });
    const [n0, n1] = final.keys.get('k') ?? [];
    assert.ok(n0 && n1);
    const down: NodeFinalRead = {
      node: 'http://n2',
      all: { status: 503, code: 'DSV_INSUFFICIENT_SHARDS' },
      byVersion: [],
    };
    assert.deepEqual(kinds(h.ops, { keys: new Map([['k', [n0, n1, down]]]) }), [
      'unverifiable',
      'server-error',
    ]);
  });

  it('classify: v1 answers map to ok / fail (definite) / unknown (may have happened)', () => {
    const answer = (status: number, body: string, code: string | null = null) => ({ status, body, code });
    assert.deepEqual(classify('create', answer(201, 'Secret created (version: 1)')), ok(1));
    assert.deepEqual(classify('update', answer(200, 'Secret updated (version: 7)')), ok(7));
    assert.deepEqual(classify('read', answer(200, 'v')), got('v'));
    assert.deepEqual(classify('delete', answer(204, '')), done);
    assert.deepEqual(
      classify('update', answer(409, '{}', 'DSV_WRITE_CONFLICT')),
      fail(409, 'DSV_WRITE_CONFLICT'),
    );
    assert.equal(classify('update', answer(503, '{}', 'DSV_WRITE_QUORUM_FAILED')).type, 'unknown');
    assert.equal(classify('create', answer(200, 'Secret created (version: 1)')).type, 'unknown');
  });
});
