// rewrapAll over a real SQLite keyring and real local KEKs: every live DEK moves, destroyed ones stay, crashes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import type { KekProvider } from '../kek/kek-provider.ts';
import { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { Keyring } from '../keyring/keyring.ts';
import { openAllKeys, seedKeyring, tableDigest } from './kek-rotation-fixture.ts';
import { rewrapAll } from './kek-rotation.ts';

let root: string;
let counter = 0;
const keks: LocalKekProvider[] = [];
const dbs: DatabaseSync[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dsv-kek-rotation-'));
});
after(async () => {
  for (const kek of keks) await kek.close();
  for (const db of dbs) if (db.isOpen) db.close();
  await rm(root, { recursive: true, force: true });
});

async function newKek(): Promise<LocalKekProvider> {
  const path = join(root, `k${counter++}.key`);
  await writeFile(path, randomBytes(32), { mode: 0o600 });
  const kek = await LocalKekProvider.fromKeyFile(path);
  keks.push(kek);
  return kek;
}

async function seeded() {
  const db = new DatabaseSync(join(root, `node${counter++}.sqlite`));
  dbs.push(db);
  db.exec('PRAGMA journal_mode = WAL');
  const [oldKek, newKekProvider] = [await newKek(), await newKek()];
  const keys = await seedKeyring(db, oldKek);
  return { db, oldKek, newKek: newKekProvider, keys };
}

const wrappedRows = (db: DatabaseSync) =>
  db.prepare(`SELECT id, wrapped FROM keys_deks WHERE state != 'destroyed'`).all() as Array<{
    id: number;
    wrapped: Uint8Array;
  }>;

/** A crash after `k` staged rows: the callback throws once `done` reaches k (each row is committed first). */
const crashAfter = (k: number) => ({
  onProgress: ({ done }: { done: number }) => {
    if (done === k) throw new Error(`simulated crash after ${k} rows`);
  },
});

void describe('rewrapAll (KEK rotation of one keyring)', () => {
  void it('rewraps every live DEK: the new KEK unwraps them, the old one no longer does', async () => {
    const { db, oldKek, newKek: next, keys } = await seeded();
    const destroyedBefore = tableDigest(db, 'keys_deks', 'id', `state = 'destroyed'`);
    const summary = await rewrapAll(db, oldKek, next);
    assert.equal(summary.liveKeys, keys.size);
    assert.equal(summary.rewrapped, keys.size);
    assert.equal(summary.destroyedUntouched, 1);
    for (const row of wrappedRows(db)) {
      await assert.rejects(oldKek.unwrap(row.wrapped), { code: 'DSV_KEY_UNWRAP_FAILED' });
      assert.deepEqual(Buffer.from(await next.unwrap(row.wrapped)), keys.get(row.id));
    }
    assert.deepEqual(await openAllKeys(db, next), keys, 'the same DEKs, so every shard still opens');
    await assert.rejects(openAllKeys(db, oldKek), { code: 'DSV_KEK_UNAVAILABLE' });
    assert.equal(tableDigest(db, 'keys_deks', 'id', `state = 'destroyed'`), destroyedBefore);
    assert.equal((db.prepare('SELECT count(*) AS n FROM keys_kek_staged').get() as { n: number }).n, 0);
  });

  void it('I-K4: a crash after k of N rows leaves the old KEK owning the keyring; re-running finishes', async () => {
    const { db, oldKek, newKek: next, keys } = await seeded();
    await assert.rejects(rewrapAll(db, oldKek, next, crashAfter(2)), /simulated crash after 2 rows/);
    assert.deepEqual(await openAllKeys(db, oldKek), keys, 'the old KEK still unseals, every DEK opens');
    await assert.rejects(openAllKeys(db, next), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /KEK rotation to this local key-encryption key is not finished .*2 of 4.*dsv keys rotate-kek/,
    });
    const summary = await rewrapAll(db, oldKek, next);
    assert.deepEqual([summary.resumed, summary.rewrapped], [2, keys.size - 2]);
    assert.deepEqual(await openAllKeys(db, next), keys);
    await assert.rejects(openAllKeys(db, oldKek), { code: 'DSV_KEK_UNAVAILABLE' });
    const again = await rewrapAll(db, oldKek, next);
    assert.deepEqual([again.rewrapped, again.alreadyRotated], [0, keys.size], 'idempotent once done');
  });

  void it('I-K4 (property): at every crash point exactly one of the two KEKs unseals the keyring', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), async (k) => {
        const { db, oldKek, newKek: next, keys } = await seeded();
        const crash = k < keys.size ? crashAfter(k + 1) : {};
        await rewrapAll(db, oldKek, next, crash).catch(() => undefined);
        const opens = async (kek: KekProvider) =>
          openAllKeys(db, kek).then(
            (got) => got.size === keys.size,
            () => false,
          );
        const [oldOpens, newOpens] = [await opens(oldKek), await opens(next)];
        assert.ok(oldOpens !== newOpens, `k=${k}: old ${oldOpens}, new ${newOpens}`);
        await rewrapAll(db, oldKek, next);
        assert.deepEqual(await openAllKeys(db, next), keys);
      }),
      { numRuns: 12 },
    );
  });

  void it('crypto-shred during an unfinished rotation also destroys the staged wraps (I-K1)', async () => {
    const { db, oldKek, newKek: next } = await seeded();
    await assert.rejects(rewrapAll(db, oldKek, next, crashAfter(4)));
    const keyring = await Keyring.open({ db, kek: oldKek });
    keyring.destroyTenant('a');
    keyring.close();
    const staged = db.prepare('SELECT dek_id FROM keys_kek_staged ORDER BY dek_id').all() as Array<{
      dek_id: number;
    }>;
    const bTenant = db.prepare(`SELECT id FROM keys_deks WHERE tenant = 'b'`).all() as Array<{ id: number }>;
    assert.deepEqual(
      staged.map((row) => row.dek_id),
      bTenant.map((row) => row.id),
    );
    const summary = await rewrapAll(db, oldKek, next);
    assert.deepEqual([summary.liveKeys, summary.destroyedUntouched], [1, 4]);
  });

  void it('a DEK created by the old KEK after staging is staged before the commit', async () => {
    const { db, oldKek, newKek: next, keys } = await seeded();
    await assert.rejects(rewrapAll(db, oldKek, next, crashAfter(4)));
    const keyring = await Keyring.open({ db, kek: oldKek });
    const extra = await keyring.activeKey('d');
    keys.set(extra.id, Buffer.from(extra.key));
    keyring.close();
    await rewrapAll(db, oldKek, next);
    assert.deepEqual(await openAllKeys(db, next), keys);
  });

  void it('an abandoned rotation to another KEK is discarded, never committed', async () => {
    const { db, oldKek, newKek: abandoned, keys } = await seeded();
    await assert.rejects(rewrapAll(db, oldKek, abandoned, crashAfter(3)));
    const chosen = await newKek();
    await rewrapAll(db, oldKek, chosen);
    assert.deepEqual(await openAllKeys(db, chosen), keys);
    await assert.rejects(openAllKeys(db, abandoned), { code: 'DSV_KEK_UNAVAILABLE' });
  });

  void it('refuses the same KEK, a target without a ref, and a wrong current KEK — changing nothing', async () => {
    const { db, oldKek, newKek: next } = await seeded();
    const before = tableDigest(db, 'keys_deks');
    const sameKey = join(root, 'same.key');
    await writeFile(sameKey, randomBytes(32), { mode: 0o600 });
    const [a, b] = [await LocalKekProvider.fromKeyFile(sameKey), await LocalKekProvider.fromKeyFile(sameKey)];
    keks.push(a, b);
    await assert.rejects(rewrapAll(db, a, b), { code: 'DSV_INPUT_INVALID', message: /same as the current/ });
    const refless: KekProvider = {
      kind: 'test',
      wrap: (dek) => next.wrap(dek),
      unwrap: (wrapped) => next.unwrap(wrapped),
      close: async () => undefined,
    };
    await assert.rejects(rewrapAll(db, oldKek, refless), {
      code: 'DSV_INPUT_INVALID',
      message: /names its key/,
    });
    await assert.rejects(rewrapAll(db, next, await newKek()), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /data key \d+ does not unwrap under the current local key-encryption key/,
    });
    assert.equal(tableDigest(db, 'keys_deks'), before);
    assert.equal((await openAllKeys(db, oldKek)).size, 4, 'the old KEK still owns every DEK');
  });
});
