// CommittedMemo: remembers only committed rows, forgets on write, and a rolled-back write leaves no trace.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { CommittedMemo } from './committed-memo.ts';
import { inTransaction } from './node-database.ts';

function setup() {
  const db = new DatabaseSync(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
  let loads = 0;
  const read = (k: string): string | undefined => {
    loads += 1;
    const row = db.prepare('SELECT v FROM t WHERE k = ?').get(k);
    return row === undefined ? undefined : String(row.v);
  };
  const write = (memo: CommittedMemo<string | undefined>, k: string, v: string) => {
    memo.forget(k);
    db.prepare('INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(k, v);
  };
  return { db, read, write, loads: () => loads };
}

describe('CommittedMemo', () => {
  it('answers a repeated lookup from memory, and a write makes the next lookup read the row again', () => {
    const { db, read, write, loads } = setup();
    const memo = new CommittedMemo<string | undefined>(db);
    write(memo, 'a', '1');
    assert.equal(
      memo.get('a', () => read('a')),
      '1',
    );
    assert.equal(
      memo.get('a', () => read('a')),
      '1',
    );
    assert.equal(loads(), 1);
    write(memo, 'a', '2');
    assert.equal(
      memo.get('a', () => read('a')),
      '2',
    );
    assert.equal(loads(), 2);
  });

  it('never remembers what it read inside a transaction, so a rollback leaves the committed value', () => {
    const { db, read, write } = setup();
    const memo = new CommittedMemo<string | undefined>(db);
    write(memo, 'a', '1');
    assert.throws(() =>
      inTransaction(db, () => {
        write(memo, 'a', 'uncommitted');
        assert.equal(
          memo.get('a', () => read('a')),
          'uncommitted',
        );
        throw new Error('apply failed');
      }),
    );
    assert.equal(
      memo.get('a', () => read('a')),
      '1',
    );
  });

  it('remembers a missing row only when told to (caller-chosen keys cannot churn it)', () => {
    const { db, read, loads } = setup();
    const strict = new CommittedMemo<string | undefined>(db, { keepMissing: false });
    strict.get('nope', () => read('nope'));
    strict.get('nope', () => read('nope'));
    assert.equal(loads(), 2);
    const lenient = new CommittedMemo<string | undefined>(db);
    lenient.get('nope', () => read('nope'));
    lenient.get('nope', () => read('nope'));
    assert.equal(loads(), 3);
  });

  it('starts over at its limit rather than growing', () => {
    const { db, read, write, loads } = setup();
    const memo = new CommittedMemo<string | undefined>(db, { limit: 2 });
    for (const k of ['a', 'b', 'c']) write(memo, k, k);
    for (const k of ['a', 'b', 'c', 'c']) memo.get(k, () => read(k));
    assert.equal(loads(), 3); // 'c' started the memo over and was then remembered
    memo.get('a', () => read('a'));
    assert.equal(loads(), 4);
  });
});
