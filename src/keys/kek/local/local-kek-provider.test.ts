// The local KEK adapter: the conformance suite in both modes, plus unseal and key-file specifics.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKekProviderConformance } from '../testing/conformance.ts';
import { LocalKekProvider } from './local-kek-provider.ts';

/** The floor the adapter accepts; keeps tests fast while exercising the real KDF. */
const FAST_SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'dsv-kek-'));

runKekProviderConformance('local (passphrase)', async () => {
  const root = await tempDir();
  const dirs = { primary: join(root, 'a'), other: join(root, 'b') };
  return {
    open: (material) =>
      LocalKekProvider.fromPassphrase({
        dataDir: dirs[material],
        passphrase: `pass ${material}`,
        scrypt: FAST_SCRYPT,
      }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

runKekProviderConformance('local (key file)', async () => {
  const root = await tempDir();
  const files = { primary: join(root, 'a.key'), other: join(root, 'b.key') };
  await writeFile(files.primary, randomBytes(32), { mode: 0o600 });
  await writeFile(files.other, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return {
    open: (material) => LocalKekProvider.fromKeyFile(files[material]),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

void describe('LocalKekProvider unseal', () => {
  const roots: string[] = [];
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });
  const newDir = async (): Promise<string> => {
    const dir = await tempDir();
    roots.push(dir);
    return dir;
  };

  void it('creates kek.json with salt, parameters and a verifier, never the KEK or passphrase', async () => {
    const dataDir = await newDir();
    const passphrase = 'correct horse battery staple';
    const p = await LocalKekProvider.fromPassphrase({ dataDir, passphrase, scrypt: FAST_SCRYPT });
    await p.close();
    const text = await readFile(join(dataDir, 'kek.json'), 'utf8');
    const body = JSON.parse(text) as {
      kdf: { N: number; r: number; p: number };
      verifier: { value: string };
    };
    assert.deepEqual([body.kdf.N, body.kdf.r, body.kdf.p], [2 ** 15, 8, 1]);
    assert.equal(Buffer.from(body.verifier.value, 'base64').length, 32);
    assert.ok(!text.includes(passphrase));
  });

  void it('a wrong passphrase is DSV_KEK_UNAVAILABLE naming the cause, not echoing the passphrase', async () => {
    const dataDir = await newDir();
    await (
      await LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'right one', scrypt: FAST_SCRYPT })
    ).close();
    await assert.rejects(
      LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'wrong one' }),
      (error: unknown) => {
        const e = error as { code: string; status: number; message: string };
        assert.equal(e.code, 'DSV_KEK_UNAVAILABLE');
        assert.equal(e.status, 503);
        assert.match(e.message, /passphrase does not match this node's key verifier/);
        assert.ok(!e.message.includes('wrong one') && !e.message.includes('right one'));
        return true;
      },
    );
  });

  void it('the stored parameters win over the requested ones, and weakened parameters are refused', async () => {
    const dataDir = await newDir();
    await (await LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'pw', scrypt: FAST_SCRYPT })).close();
    const again = await LocalKekProvider.fromPassphrase({
      dataDir,
      passphrase: 'pw',
      scrypt: { N: 2 ** 16, r: 8, p: 1 },
    });
    await again.close();
    const path = join(dataDir, 'kek.json');
    const body = JSON.parse(await readFile(path, 'utf8')) as { kdf: { N: number } };
    body.kdf.N = 2 ** 10;
    await writeFile(path, JSON.stringify(body), { mode: 0o600 });
    await assert.rejects(LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'pw' }), {
      code: 'DSV_KEK_UNAVAILABLE',
    });
    await writeFile(path, '{ not json', { mode: 0o600 });
    await assert.rejects(LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'pw' }), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /not a valid DSV key verifier file/,
    });
  });

  void it('refuses an empty passphrase and scrypt parameters below the floor', async () => {
    const dataDir = await newDir();
    await assert.rejects(LocalKekProvider.fromPassphrase({ dataDir, passphrase: '' }), {
      code: 'DSV_KEK_UNAVAILABLE',
    });
    await assert.rejects(
      LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'pw', scrypt: { N: 2 ** 14, r: 8, p: 1 } }),
      { code: 'DSV_KEK_UNAVAILABLE' },
    );
  });

  void it('two first starts racing on one data dir agree on one verifier', async () => {
    const dataDir = await newDir();
    const open = () => LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'same', scrypt: FAST_SCRYPT });
    const [a, b] = await Promise.all([open(), open()]);
    const dek = randomBytes(32);
    assert.deepEqual(Buffer.from(await b.unwrap(await a.wrap(dek))), dek);
    await a.close();
    await b.close();
  });

  void it('ref names the KEK by a hash of its verifier: stable across unseals, different per KEK', async () => {
    const dataDir = await newDir();
    const first = await LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'pw', scrypt: FAST_SCRYPT });
    const again = await LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'pw' });
    const other = await LocalKekProvider.fromPassphrase({
      dataDir: await newDir(),
      passphrase: 'pw',
      scrypt: FAST_SCRYPT,
    });
    assert.match(first.ref, /^local:[0-9a-f]{32}$/);
    assert.equal(again.ref, first.ref);
    assert.notEqual(other.ref, first.ref, 'the same passphrase with another salt is another KEK');
    for (const p of [first, again, other]) await p.close();
  });

  void it('during a KEK rotation the unseal checks kek.json, then kek.next.json, and creates neither', async () => {
    const dataDir = await newDir();
    await (
      await LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'old', scrypt: FAST_SCRYPT })
    ).close();
    const next = await LocalKekProvider.fromPassphraseFile({
      dataDir,
      passphrase: 'new',
      fileName: 'kek.next.json',
      scrypt: FAST_SCRYPT,
    });
    const viaUnseal = await LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'new' });
    assert.equal(viaUnseal.ref, next.ref);
    await assert.rejects(LocalKekProvider.fromPassphrase({ dataDir, passphrase: 'neither' }), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /\(kek\.json or kek\.next\.json in /,
    });
    const keyFileNode = await newDir();
    await assert.rejects(
      LocalKekProvider.fromPassphrase({ dataDir: keyFileNode, passphrase: 'x', create: false }),
      {
        code: 'DSV_KEK_UNAVAILABLE',
        message: /kek\.json does not exist/,
      },
    );
    await assert.rejects(readFile(join(keyFileNode, 'kek.json')), { code: 'ENOENT' });
    await next.close();
    await viaUnseal.close();
  });

  void it('a key file of the wrong size is refused with a clear error', async () => {
    const dir = await newDir();
    const path = join(dir, 'short.key');
    await writeFile(path, randomBytes(31), { mode: 0o600 });
    await assert.rejects(LocalKekProvider.fromKeyFile(path), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /must hold exactly 32 raw bytes or 64 hex characters \(it has 31 bytes\)/,
    });
    await assert.rejects(LocalKekProvider.fromKeyFile(join(dir, 'missing.key')), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /cannot read key file .*ENOENT/,
    });
  });

  void it('a hex key file and the same bytes raw are the same KEK', async () => {
    const dir = await newDir();
    const kek = randomBytes(32);
    await writeFile(join(dir, 'raw.key'), kek, { mode: 0o600 });
    await writeFile(join(dir, 'hex.key'), `  ${kek.toString('hex').toUpperCase()}\r\n`, { mode: 0o600 });
    const raw = await LocalKekProvider.fromKeyFile(join(dir, 'raw.key'));
    const hex = await LocalKekProvider.fromKeyFile(join(dir, 'hex.key'));
    const dek = randomBytes(32);
    assert.deepEqual(Buffer.from(await hex.unwrap(await raw.wrap(dek))), dek);
    assert.equal(JSON.stringify(raw), '{"kind":"local"}');
    await raw.close();
    await hex.close();
  });
});
