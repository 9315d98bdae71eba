// Keyring.open's KEK ownership check: kek_ref labels, rows from before refs existed, providers without a ref.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { KekProvider } from '../kek/kek-provider.ts';
import { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { kekOwnership } from './kek-check.ts';
import { kekRefOf } from './kek-ref.ts';
import { Keyring } from './keyring.ts';

let root: string;
let n = 0;
const cleanups: Array<() => Promise<void> | void> = [];
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dsv-kek-check-'));
});
after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await rm(root, { recursive: true, force: true });
});

async function kek(): Promise<LocalKekProvider> {
  const path = join(root, `${n++}.key`);
  await writeFile(path, randomBytes(32), { mode: 0o600 });
  const provider = await LocalKekProvider.fromKeyFile(path);
  cleanups.push(() => provider.close());
  return provider;
}

function database(): DatabaseSync {
  const db = new DatabaseSync(join(root, `${n++}.sqlite`));
  cleanups.push(() => db.close());
  return db;
}

/** The keys_deks table exactly as it was before KEK rotation added kek_ref. */
const PRE_ROTATION_SCHEMA = `CREATE TABLE keys_deks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'retired', 'destroyed')), kek_kind TEXT NOT NULL,
  wrapped BLOB NOT NULL, binding BLOB NOT NULL, encryptions_reserved INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, rotated_at INTEGER, destroyed_at INTEGER) STRICT`;

void describe('Keyring.open KEK ownership', () => {
  void it('labels every new DEK row with the KEK that wrapped it (a hash, never key bytes)', async () => {
    const db = database();
    const k = await kek();
    const keyring = await Keyring.open({ db, kek: k });
    await keyring.activeKey('t');
    keyring.close();
    assert.match(k.ref, /^local:[0-9a-f]{32}$/);
    assert.deepEqual(kekOwnership(db, k.ref), { live: 1, own: 1, legacy: 0, foreign: 0, staged: 0 });
  });

  void it('a database from before kek_ref migrates; its rows are proven by unwrapping, then labelled', async () => {
    const db = database();
    db.exec(PRE_ROTATION_SCHEMA);
    const k = await kek();
    const first = await Keyring.open({ db, kek: k });
    await first.activeKey('t');
    await first.rotate('t');
    first.close();
    db.exec('UPDATE keys_deks SET kek_ref = NULL'); // as written before refs existed
    await assert.rejects(Keyring.open({ db, kek: await kek() }), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /does not unwrap this node's data keys/,
    });
    assert.equal(kekOwnership(db, k.ref).legacy, 2, 'a wrong KEK labels nothing');
    (await Keyring.open({ db, kek: k })).close();
    assert.deepEqual(kekOwnership(db, k.ref), { live: 2, own: 2, legacy: 0, foreign: 0, staged: 0 });
  });

  void it('a provider without a ref leaves rows unlabelled and is checked by unwrapping, as before', async () => {
    const db = database();
    const k = await kek();
    const refless: KekProvider = {
      kind: 'opaque',
      wrap: (dek) => k.wrap(dek),
      unwrap: (wrapped) => k.unwrap(wrapped),
      close: async () => undefined,
    };
    assert.equal(kekRefOf(refless), undefined);
    const keyring = await Keyring.open({ db, kek: refless });
    await keyring.activeKey('t');
    keyring.close();
    assert.equal(kekOwnership(db, undefined).legacy, 1);
    (await Keyring.open({ db, kek: refless })).close();
    await assert.rejects(Keyring.open({ db, kek: await kek() }), { code: 'DSV_KEK_UNAVAILABLE' });
  });

  void it('a row labelled with this KEK but wrapped by another is still refused (the unwrap is the proof)', async () => {
    const db = database();
    const [k, other] = [await kek(), await kek()];
    const keyring = await Keyring.open({ db, kek: other });
    await keyring.activeKey('t');
    keyring.close();
    db.prepare('UPDATE keys_deks SET kek_ref = ?').run(k.ref);
    await assert.rejects(Keyring.open({ db, kek: k }), { code: 'DSV_KEK_UNAVAILABLE' });
  });
});
