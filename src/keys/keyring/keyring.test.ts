// Keyring over a real SQLite file and the real local KEK: counters, rotation, crypto-shred, nothing unwrapped on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import type { ShardIdentity } from '../../shards/shard-sealer.ts';
import { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { EnvelopeShardSealer } from './envelope-shard-sealer.ts';
import { DataKey } from './data-key.ts';
import { Keyring, type KeyringOptions } from './keyring.ts';

let root: string;
let kekFile: string;
const opened: Array<{ db: DatabaseSync; kek: LocalKekProvider; keyring: Keyring }> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dsv-keyring-'));
  kekFile = join(root, 'node.key');
  await writeFile(kekFile, randomBytes(32), { mode: 0o600 });
});
after(async () => {
  for (const o of opened) {
    o.keyring.close();
    await o.kek.close();
    if (o.db.isOpen) o.db.close();
  }
  await rm(root, { recursive: true, force: true });
});

/** Opens (or reopens, after a simulated crash) a node database and its keyring. */
async function openKeyring(file: string, options: Partial<KeyringOptions> = {}, keyFile = kekFile) {
  const db = new DatabaseSync(join(root, file));
  db.exec('PRAGMA journal_mode = WAL');
  const kek = await LocalKekProvider.fromKeyFile(keyFile);
  const keyring = await Keyring.open({ db, kek, ...options });
  const o = { db, kek, keyring, sealer: new EnvelopeShardSealer(keyring) };
  opened.push(o);
  return o;
}

const identity = (tenant: string, version = 1): ShardIdentity => ({
  tenant,
  namespace: 'ns',
  name: 'API_KEY',
  version,
  writeId: `w-${version}`,
  index: 1,
  node: 'node-a',
});

void describe('Keyring', () => {
  void it('creates one DEK per tenant on first use and keeps using it', async () => {
    const { keyring } = await openKeyring('first-use.db');
    const a1 = await keyring.activeKey('a');
    const a2 = await keyring.activeKey('a');
    const b = await keyring.activeKey('b');
    assert.equal(a1.id, a2.id);
    assert.notEqual(a1.id, b.id);
    assert.notDeepEqual(Buffer.from(a1.key), Buffer.from(b.key));
    assert.deepEqual(
      keyring.list('a').map((k) => [k.state, k.kekKind]),
      [['active', 'local']],
    );
  });

  void it('concurrent first uses of a tenant create exactly one DEK', async () => {
    const { keyring } = await openKeyring('concurrent.db');
    const keys = await Promise.all(Array.from({ length: 50 }, () => keyring.activeKey('t')));
    assert.equal(new Set(keys.map((k) => k.id)).size, 1);
    assert.equal(keyring.list('t').length, 1);
  });

  void it('I-K3: the DEK rotates automatically at the threshold; concurrent users never exceed it', async () => {
    const { keyring } = await openKeyring('rotation.db', { rotateAfter: 10, counterBlock: 4 });
    const keys = await Promise.all(Array.from({ length: 100 }, () => keyring.activeKey('t')));
    const uses = new Map<number, number>();
    for (const k of keys) uses.set(k.id, (uses.get(k.id) ?? 0) + 1);
    assert.equal(uses.size, 10);
    for (const count of uses.values()) assert.ok(count <= 10, `a DEK was used ${count} times`);
    const list = keyring.list('t');
    assert.equal(list.filter((k) => k.state === 'active').length, 1);
    assert.ok(list.filter((k) => k.state === 'retired').every((k) => k.rotatedAt !== undefined));
  });

  void it('I-K3: after a crash the counter resumes past its reserved block, never below it', async () => {
    const options = { rotateAfter: 40, counterBlock: 16 };
    const first = await openKeyring('crash.db', options);
    const keyId = (await first.keyring.activeKey('t')).id;
    for (let i = 0; i < 4; i++) await first.keyring.activeKey('t'); // 5 uses, 16 reserved
    assert.equal(first.keyring.list('t')[0]?.encryptions, 16);
    first.db.close(); // crash: nothing flushed beyond what was reserved

    const second = await openKeyring('crash.db', options);
    for (let i = 0; i < 5; i++) assert.equal((await second.keyring.activeKey('t')).id, keyId);
    assert.equal(second.keyring.list('t')[0]?.encryptions, 32); // resumed at 16, reserved 16..32
    second.db.close();

    const third = await openKeyring('crash.db', options);
    // Resumes at 32: 8 more uses reach 40, so 18 real uses consumed the whole budget of 40 — never reused.
    for (let i = 0; i < 8; i++) assert.equal((await third.keyring.activeKey('t')).id, keyId);
    assert.notEqual((await third.keyring.activeKey('t')).id, keyId);
  });

  void it('I-K3: old DEKs still open old envelopes after rotation', async () => {
    const { keyring, sealer } = await openKeyring('old-keys.db', { rotateAfter: 2, counterBlock: 1 });
    const sealed = [];
    for (let v = 1; v <= 7; v++) sealed.push(await sealer.seal(identity('t', v), Buffer.from(`share ${v}`)));
    assert.equal(keyring.list('t').length, 4);
    for (let v = 1; v <= 7; v++) {
      assert.equal(Buffer.from(await sealer.open(identity('t', v), sealed[v - 1]!)).toString(), `share ${v}`);
    }
    await keyring.rotate('t');
    assert.equal(Buffer.from(await sealer.open(identity('t', 1), sealed[0]!)).toString(), 'share 1');
  });

  void it('crypto-shred: destroyTenant makes every old envelope of the tenant unreadable, others unaffected', async () => {
    const { keyring, sealer, db } = await openKeyring('shred.db', { rotateAfter: 2, counterBlock: 1 });
    const doomed = [];
    for (let v = 1; v <= 3; v++) doomed.push(await sealer.seal(identity('doomed', v), Buffer.from('x')));
    const kept = await sealer.seal(identity('kept', 1), Buffer.from('y'));
    const wrapped = (
      db.prepare(`SELECT wrapped FROM keys_deks WHERE tenant = 'doomed'`).all() as Array<{
        wrapped: Uint8Array;
      }>
    ).map((r) => Buffer.from(r.wrapped));
    assert.equal(keyring.destroyTenant('doomed'), 2);
    for (let v = 1; v <= 3; v++) {
      await assert.rejects(sealer.open(identity('doomed', v), doomed[v - 1]!), {
        code: 'DSV_SHARD_UNREADABLE',
      });
    }
    assert.equal(Buffer.from(await sealer.open(identity('kept', 1), kept)).toString(), 'y');
    assert.ok(keyring.list('doomed').every((k) => k.state === 'destroyed' && k.destroyedAt !== undefined));
    // The wrapped DEKs are gone from the database and its WAL, not merely marked.
    const disk = Buffer.concat([
      await readFile(join(root, 'shred.db')),
      await readFile(join(root, 'shred.db-wal')),
    ]);
    for (const w of wrapped) assert.ok(!disk.includes(w), 'a destroyed wrapped DEK is still on disk');
    // A later write for the same tenant name gets a fresh key; the old envelopes stay dead.
    const fresh = await sealer.seal(identity('doomed', 9), Buffer.from('new'));
    assert.equal(Buffer.from(await sealer.open(identity('doomed', 9), fresh)).toString(), 'new');
    await assert.rejects(sealer.open(identity('doomed', 1), doomed[0]!), { code: 'DSV_SHARD_UNREADABLE' });
  });

  void it('I-K1: no unwrapped DEK appears in the database file or its WAL', async () => {
    const { keyring, sealer, db } = await openKeyring('no-plain-keys.db', {
      rotateAfter: 3,
      counterBlock: 1,
    });
    const raw: Buffer[] = [];
    for (let v = 1; v <= 9; v++) {
      await sealer.seal(identity(`tenant-${v % 3}`, v), Buffer.from('s'));
      raw.push(Buffer.from((await keyring.activeKey(`tenant-${v % 3}`)).key));
    }
    const scan = async (): Promise<void> => {
      const files = ['no-plain-keys.db', 'no-plain-keys.db-wal'];
      const disk = Buffer.concat(
        await Promise.all(files.map((f) => readFile(join(root, f)).catch(() => Buffer.alloc(0)))),
      );
      assert.ok(disk.length > 0);
      for (const key of raw) assert.ok(!disk.includes(key), 'an unwrapped DEK is on disk');
    };
    await scan();
    db.exec('PRAGMA wal_checkpoint(FULL)');
    await scan();
  });

  void it('I-K1: a DataKey prints and serialises without its bytes', async () => {
    const { keyring } = await openKeyring('print.db');
    const key = await keyring.activeKey('t');
    const hex = Buffer.from(key.key).toString('hex');
    assert.equal(JSON.stringify(key), JSON.stringify({ id: key.id, tenant: 't' }));
    assert.ok(!inspect(key, { showHidden: true }).includes(hex));
    assert.ok(!JSON.stringify(keyring.list('t')).includes(hex));
  });

  void it('sealed start: a keyring over data keys wrapped by another KEK refuses to open', async () => {
    const { keyring } = await openKeyring('sealed.db');
    await keyring.activeKey('t');
    const otherKey = join(root, 'other.key');
    await writeFile(otherKey, randomBytes(32), { mode: 0o600 });
    await assert.rejects(openKeyring('sealed.db', {}, otherKey), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /Unseal failed: the local key-encryption key does not unwrap this node's data keys/,
    });
  });

  void it("I-K2: a wrapped DEK copied into another tenant's row is refused", async () => {
    const first = await openKeyring('swap.db');
    const a = await first.keyring.activeKey('a');
    const b = await first.keyring.activeKey('b');
    const sealedForB = await first.sealer.seal(identity('b'), Buffer.from('b'));
    first.db
      .prepare(
        `UPDATE keys_deks SET (wrapped, binding) = (SELECT wrapped, binding FROM keys_deks WHERE id = ?) WHERE id = ?`,
      )
      .run(a.id, b.id);
    first.db.close();
    const second = await openKeyring('swap.db');
    await assert.rejects(second.keyring.keyById(b.id), { code: 'DSV_KEY_UNWRAP_FAILED' });
    await assert.rejects(second.sealer.open(identity('b'), sealedForB), { code: 'DSV_SHARD_UNREADABLE' });
  });
});

describe('a wiped data key', () => {
  it('gives no cipher key: a seal that raced a shred fails instead of sealing under zeroed bytes', () => {
    const key = new DataKey(1, 't', randomBytes(32));
    assert.equal(key.cipherKey.symmetricKeySize, 32);
    key.wipe();
    assert.throws(() => key.cipherKey, { code: 'DSV_SHARD_UNREADABLE' });
  });
});
