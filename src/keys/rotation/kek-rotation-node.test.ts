// rotateNodeKek on a real node directory: kek files, the unseal rules at every crash point, re-runs, refusals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { seedKeyring, tableDigest, unsealNode as unseal } from './kek-rotation-fixture.ts';
import type { LocalKekSecret } from './kek-rotation-local.ts';
import { rotateNodeKek, type NodeKekRotationOptions } from './kek-rotation-node.ts';

const FAST_SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const OLD: LocalKekSecret = { kind: 'passphrase', passphrase: 'old passphrase' };
const NEW: LocalKekSecret = { kind: 'passphrase', passphrase: 'new passphrase' };
let root: string;
let n = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dsv-kek-node-'));
});
after(async () => rm(root, { recursive: true, force: true }));

const openDb = (nodeDir: string) => {
  const db = new DatabaseSync(join(nodeDir, 'node.sqlite'));
  db.exec('PRAGMA journal_mode = WAL');
  return db;
};

const unseals = (nodeDir: string, secret: LocalKekSecret) =>
  unseal(nodeDir, secret).then(
    () => true,
    (error: { code?: string }) => {
      assert.equal(error.code, 'DSV_KEK_UNAVAILABLE');
      return false;
    },
  );

/** A stopped node: node.sqlite with DEKs (live, retired, destroyed) and a shards table, sealed by `secret`. */
async function stoppedNode(secret: LocalKekSecret = OLD) {
  const nodeDir = join(root, `node-${n++}`);
  await mkdir(nodeDir);
  const kek =
    secret.kind === 'passphrase'
      ? await LocalKekProvider.fromPassphrase({
          dataDir: nodeDir,
          passphrase: secret.passphrase,
          scrypt: FAST_SCRYPT,
        })
      : await LocalKekProvider.fromKeyFile(secret.path);
  const db = openDb(nodeDir);
  const keys = await seedKeyring(db, kek);
  db.exec('CREATE TABLE shards (k TEXT PRIMARY KEY, sealed BLOB) WITHOUT ROWID');
  db.prepare('INSERT INTO shards VALUES (?, ?), (?, ?)').run('a', randomBytes(64), 'b', randomBytes(64));
  db.close();
  await kek.close();
  return { nodeDir, keys };
}

const rotate = (nodeDir: string, extra: Partial<NodeKekRotationOptions> = {}) =>
  rotateNodeKek({ nodeDir, from: OLD, to: NEW, scrypt: FAST_SCRYPT, ...extra });

async function keyFile(): Promise<LocalKekSecret> {
  const path = join(root, `kek-${n++}.key`);
  await writeFile(path, randomBytes(32).toString('hex'), { mode: 0o600 });
  return { kind: 'key-file', path };
}

void describe('rotateNodeKek (dsv keys rotate-kek)', () => {
  void it('passphrase to passphrase: the new one unseals, the old one does not; shards untouched', async () => {
    const { nodeDir, keys } = await stoppedNode();
    const db = openDb(nodeDir);
    const shardsBefore = tableDigest(db, 'shards', 'k');
    db.close();
    const kekJsonBefore = await readFile(join(nodeDir, 'kek.json'), 'utf8');
    const phases: string[] = [];
    const result = await rotate(nodeDir, { onPhase: (phase) => phases.push(phase) });
    assert.deepEqual([result.rewrapped, result.destroyedUntouched, result.alreadyFinished], [4, 1, false]);
    assert.deepEqual(phases, ['committed', 'installed']);
    assert.deepEqual(await unseal(nodeDir, NEW), keys);
    await assert.rejects(unseal(nodeDir, OLD), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /passphrase does not match this node's key verifier \(kek\.json in /,
    });
    assert.notEqual(await readFile(join(nodeDir, 'kek.json'), 'utf8'), kekJsonBefore);
    assert.ok(!existsSync(join(nodeDir, 'kek.next.json')));
    const after = openDb(nodeDir);
    assert.equal(tableDigest(after, 'shards', 'k'), shardsBefore);
    after.close();
    assert.equal((await rotate(nodeDir)).alreadyFinished, true, 're-running a finished rotation is a no-op');
  });

  void it('I-K4: at every crash point exactly the documented secret unseals, and re-running finishes', async () => {
    const crashes: Array<[string, Partial<NodeKekRotationOptions>, 'old' | 'new']> = [
      ...[1, 2, 3, 4].map(
        (k) =>
          [
            `after ${k} of 4 rows staged`,
            { onProgress: ({ done }: { done: number }) => assert.notEqual(done, k, 'crash') },
            'old',
          ] as [string, Partial<NodeKekRotationOptions>, 'old'],
      ),
      ['after the commit, before kek.next.json is installed', { onPhase: crashAt('committed') }, 'new'],
      ['after kek.json is installed', { onPhase: crashAt('installed') }, 'new'],
    ];
    for (const [when, crash, owner] of crashes) {
      const { nodeDir, keys } = await stoppedNode();
      await assert.rejects(rotate(nodeDir, crash));
      assert.deepEqual(
        [await unseals(nodeDir, OLD), await unseals(nodeDir, NEW)],
        owner === 'old' ? [true, false] : [false, true],
        `crash ${when}: only the ${owner} passphrase unseals`,
      );
      await rotate(nodeDir);
      assert.deepEqual(await unseal(nodeDir, NEW), keys, `re-run after a crash ${when}`);
      assert.equal(await unseals(nodeDir, OLD), false);
      assert.ok(!existsSync(join(nodeDir, 'kek.next.json')));
    }
  });

  void it('mid-rotation the new passphrase is refused with the way out; the old one keeps the node serving', async () => {
    const { nodeDir } = await stoppedNode();
    await assert.rejects(rotate(nodeDir, { onProgress: ({ done }) => assert.notEqual(done, 2) }));
    await assert.rejects(unseal(nodeDir, NEW), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /KEK rotation to this local key-encryption key is not finished .*`dsv keys rotate-kek`/,
    });
    await assert.rejects(unseal(nodeDir, { kind: 'passphrase', passphrase: 'neither' }), {
      message: /does not match this node's key verifier \(kek\.json or kek\.next\.json/,
    });
  });

  void it('an abandoned rotation to another passphrase is replaced by the next run', async () => {
    const { nodeDir, keys } = await stoppedNode();
    await assert.rejects(rotate(nodeDir, { onProgress: ({ done }) => assert.notEqual(done, 3) }));
    const third: LocalKekSecret = { kind: 'passphrase', passphrase: 'third passphrase' };
    await rotate(nodeDir, { to: third });
    assert.deepEqual(await unseal(nodeDir, third), keys);
    assert.deepEqual([await unseals(nodeDir, OLD), await unseals(nodeDir, NEW)], [false, false]);
  });

  void it('dev key file to passphrase, and passphrase to key file (kek.json removed)', async () => {
    const devKey = await keyFile();
    const { nodeDir, keys } = await stoppedNode(devKey);
    await rotate(nodeDir, { from: devKey, to: NEW });
    assert.deepEqual(await unseal(nodeDir, NEW), keys);
    assert.equal(await unseals(nodeDir, devKey), false);
    const laterKey = await keyFile();
    await rotate(nodeDir, { from: NEW, to: laterKey });
    assert.deepEqual(await unseal(nodeDir, laterKey), keys);
    assert.ok(!existsSync(join(nodeDir, 'kek.json')), 'no verifier of a retired passphrase is left behind');
  });

  void it('refuses a running node, a directory without a node, and a wrong current secret — changing nothing', async () => {
    const { nodeDir } = await stoppedNode();
    const running = openDb(nodeDir);
    running.prepare('SELECT count(*) FROM keys_deks').get();
    await assert.rejects(rotate(nodeDir), { code: 'DSV_INPUT_INVALID', message: /in use: stop the node/ });
    running.close();
    await assert.rejects(rotate(root), { code: 'DSV_INPUT_INVALID', message: /No node database at/ });
    await assert.rejects(rotate(nodeDir, { from: { kind: 'passphrase', passphrase: 'wrong' } }), {
      code: 'DSV_KEK_UNAVAILABLE',
    });
    await assert.rejects(rotate(nodeDir, { from: await keyFile() }), { code: 'DSV_KEK_UNAVAILABLE' });
    assert.ok(!existsSync(join(nodeDir, 'kek.next.json')));
    assert.equal(await unseals(nodeDir, OLD), true);
  });
});

function crashAt(phase: string) {
  return (reached: string) => assert.notEqual(reached, phase, 'crash');
}
