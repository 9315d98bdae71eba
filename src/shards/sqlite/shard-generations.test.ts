// The shard store's generations (proactive refresh, I-R1): a data dir from before refresh migrates with every
// shard at generation 0; a refreshed share is staged beside the current one, promoted or discarded by the log,
// and the superseded generation is found and deleted by the holder's garbage collection.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openNodeDatabase } from '../../platform/node-database.ts';
import { SqliteShardStore } from './sqlite-shard-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'dsv-shard-generations-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Seals by prefixing the identity, so a shard read under another identity (generation) never opens. */
const sealer = {
  kind: 'test',
  seal: async (identity: object, share: Uint8Array) =>
    new Uint8Array([...Buffer.from(`${JSON.stringify(identity)}|`), ...share]),
  open: async (identity: object, sealed: Uint8Array) => {
    const prefix = Buffer.from(`${JSON.stringify(identity)}|`);
    if (!Buffer.from(sealed.subarray(0, prefix.length)).equals(prefix)) throw new Error('wrong identity');
    return sealed.subarray(prefix.length);
  },
};
const key = { tenant: 't', namespace: 'ns', name: 'db' };
const at = (generation: number) => ({ key, version: 1, writeId: 'w1', generation });

describe('shard store generations', () => {
  it('I-R1: an existing data dir migrates: every shard at generation 0, still readable', async () => {
    const path = join(dir, 'old.sqlite');
    const db = openNodeDatabase(path);
    db.exec(`CREATE TABLE shards (tenant TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
      version INTEGER NOT NULL, write_id TEXT NOT NULL, idx INTEGER NOT NULL, state TEXT NOT NULL,
      sealed BLOB NOT NULL, key_id INTEGER, PRIMARY KEY (tenant, namespace, name, version, write_id))`);
    const old = new SqliteShardStore(openNodeDatabase(join(dir, 'scratch.sqlite')), sealer, 'node-0');
    const sealed = await old.seal({ key, version: 1, writeId: 'w1' }, 0, new Uint8Array([1, 2, 3]));
    db.prepare(
      `INSERT INTO shards (tenant, namespace, name, version, write_id, idx, state, sealed, key_id)
       VALUES ('t', 'ns', 'db', 1, 'w1', 0, 'committed', ?, NULL)`,
    ).run(sealed.sealed);
    const store = new SqliteShardStore(db, sealer, 'node-0');
    assert.deepEqual(await store.read({ key, version: 1, writeId: 'w1' }), {
      index: 0,
      share: new Uint8Array([1, 2, 3]),
    });
    const columns = db.prepare('PRAGMA table_info(shards)').all() as Array<{ name: string; pk: number }>;
    assert.deepEqual(
      columns.filter((column) => column.pk > 0).map((column) => column.name),
      ['tenant', 'namespace', 'name', 'version', 'write_id', 'generation'],
    );
    assert.equal(
      Number((db.prepare('PRAGMA secure_delete').get() as { secure_delete: number }).secure_delete),
      1,
    );
    // Opening again does not migrate twice.
    const again = new SqliteShardStore(db, sealer, 'node-0');
    assert.equal(again.counts().committed, 1);
  });

  it('I-R1: a refreshed share is staged beside the current one, promoted, and the old one collected', async () => {
    const db = openNodeDatabase(join(dir, 'fresh.sqlite'));
    const store = new SqliteShardStore(db, sealer, 'node-0');
    store.put(await store.seal(at(0), 1, new Uint8Array([10])), 'committed');
    store.put(await store.seal(at(1), 1, new Uint8Array([11])), 'staged');
    assert.deepEqual(await store.read(at(1)), undefined, 'a staged generation is not served');
    assert.deepEqual((await store.read(at(0)))?.share, new Uint8Array([10]));
    assert.deepEqual(store.supersededGenerations(10), []);
    store.promoteGeneration(at(1));
    assert.deepEqual((await store.read(at(1)))?.share, new Uint8Array([11]));
    assert.ok(store.hasCommitted(at(1)) && store.hasCommitted(at(0)));
    assert.deepEqual(store.supersededGenerations(10), [at(0)]);
    store.deleteGeneration(at(0));
    assert.equal(await store.read(at(0)), undefined);
    assert.deepEqual(store.supersededGenerations(10), []);
    // A staged generation of an aborted refresh goes; the committed one stays.
    store.put(await store.seal(at(2), 1, new Uint8Array([12])), 'staged');
    store.discardGeneration(at(2));
    store.discardGeneration(at(1)); // committed: untouched
    assert.deepEqual(store.counts(), { staged: 0, committed: 1 });
    assert.deepEqual((await store.read(at(1)))?.share, new Uint8Array([11]));
  });

  it('I-S2: a generation-1 ciphertext does not open as generation 0; rewrap keeps each generation', async () => {
    const db = openNodeDatabase(join(dir, 'moved.sqlite'));
    const store = new SqliteShardStore(db, sealer, 'node-0');
    store.put(await store.seal(at(1), 2, new Uint8Array([7])), 'committed');
    db.prepare('UPDATE shards SET generation = 0').run();
    assert.equal(await store.read(at(0)), undefined);
    db.prepare('UPDATE shards SET generation = 1').run();
    const [stored] = store.sealedUnderOtherKeys('t', 5, 10);
    assert.equal(stored?.address.generation, 1);
    assert.deepEqual(await store.open(stored), new Uint8Array([7]));
    assert.ok(await store.reseal(stored, new Uint8Array([7])));
    assert.deepEqual((await store.read(at(1)))?.share, new Uint8Array([7]));
  });
});
