// WalSync (issue #10): one fdatasync serves every caller waiting at the time; a caller that arrives during a
// sync gets a later one; a database without a WAL file still ends durable.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { openNodeDatabase } from './node-database.ts';
import { WalSync } from './wal-sync.ts';

const dir = mkdtempSync(join(tmpdir(), 'dsv-wal-sync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('WalSync', () => {
  void it('runs the node database in WAL mode with synchronous=NORMAL', () => {
    const db = openNodeDatabase(join(dir, 'mode.sqlite'));
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    assert.equal((db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous, 1);
    db.close();
  });

  void it('gives concurrent callers one sync, and a caller arriving mid-sync the next one', async () => {
    const db = openNodeDatabase(join(dir, 'group.sqlite'));
    db.exec('CREATE TABLE t (v INTEGER)');
    const wal = new WalSync(db);
    db.prepare('INSERT INTO t VALUES (1)').run();
    const first = Array.from({ length: 20 }, () => wal.sync());
    // Arrives while the first sync runs: its row was written after that sync began, so it needs another.
    db.prepare('INSERT INTO t VALUES (2)').run();
    const second = Array.from({ length: 20 }, () => wal.sync());
    await Promise.all([...first, ...second]);
    assert.equal(wal.syncs, 2);
    await wal.sync();
    assert.equal(wal.syncs, 3);
    db.close();
  });

  void it('falls back to a checkpoint when there is no WAL file', async () => {
    const db = new DatabaseSync(':memory:');
    const wal = new WalSync(db);
    await wal.sync();
    assert.equal(wal.syncs, 1);
    db.close();
  });
});
