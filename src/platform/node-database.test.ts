// The node database's one transaction idiom (I-V2): all or nothing, and nested inside a caller's transaction a
// failure undoes only the inner work.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { inTransaction } from './node-database.ts';

function database(): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  db.exec('CREATE TABLE t (v INTEGER)');
  return db;
}
const values = (db: DatabaseSync) =>
  db
    .prepare('SELECT v FROM t ORDER BY v')
    .all()
    .map((row) => row.v);

describe('inTransaction', () => {
  it('commits all of the work, or none of it when the work throws', () => {
    const db = database();
    assert.equal(
      inTransaction(db, () => {
        db.exec('INSERT INTO t VALUES (1)');
        return 'done';
      }),
      'done',
    );
    assert.throws(() =>
      inTransaction(db, () => {
        db.exec('INSERT INTO t VALUES (2)');
        throw new Error('fails');
      }),
    );
    assert.deepEqual(values(db), [1]);
    assert.equal(db.isTransaction, false);
  });

  it('nested in a caller’s transaction, a failure rolls back only the inner work; the caller decides the rest', () => {
    const db = database();
    inTransaction(db, () => {
      db.exec('INSERT INTO t VALUES (1)');
      assert.throws(() =>
        inTransaction(db, () => {
          db.exec('INSERT INTO t VALUES (2)');
          throw new Error('inner fails');
        }),
      );
      inTransaction(db, () => db.exec('INSERT INTO t VALUES (3)'));
      assert.equal(db.isTransaction, true, 'the caller’s transaction is still open');
    });
    assert.deepEqual(values(db), [1, 3]);
    assert.throws(() =>
      inTransaction(db, () => {
        inTransaction(db, () => db.exec('INSERT INTO t VALUES (4)'));
        throw new Error('outer fails');
      }),
    );
    assert.deepEqual(values(db), [1, 3], 'an inner commit is undone with its caller');
  });
});
