// `dsv keys rotate-kek` as an operator runs it on a dev data dir: key file to passphrase, --json, clear refusals.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { LocalKekProvider } from '../../src/keys/kek/local/local-kek-provider.ts';
import { seedKeyring, unsealNode } from '../../src/keys/rotation/kek-rotation-fixture.ts';
import { runDsv } from '../testing/dsv-process.ts';

describe('dsv keys rotate-kek (CLI)', () => {
  let dataDir: string;
  let nodeDir: string;
  let devKey: string;
  let keys: Map<number, Buffer>;
  before(async () => {
    // The dev layout: <data-dir>/dev-kek.key seals every <data-dir>/node-<i> when no passphrase is set.
    dataDir = await mkdtemp(join(tmpdir(), 'dsv-kek-cli-'));
    nodeDir = join(dataDir, 'node-0');
    devKey = join(dataDir, 'dev-kek.key');
    await mkdir(nodeDir);
    await writeFile(devKey, randomBytes(32).toString('hex'), { mode: 0o600 });
    const kek = await LocalKekProvider.fromKeyFile(devKey);
    const db = new DatabaseSync(join(nodeDir, 'node.sqlite'));
    db.exec('PRAGMA journal_mode = WAL');
    keys = await seedKeyring(db, kek);
    db.close();
    await kek.close();
  });
  after(async () => rm(dataDir, { recursive: true, force: true }));

  const run = async (args: string[], env: Record<string, string | undefined> = {}) => {
    const cli = runDsv(['keys', 'rotate-kek', ...args], {
      DSV_UNSEAL_PASSPHRASE: undefined,
      DSV_NEW_UNSEAL_PASSPHRASE: undefined,
      ...env,
    });
    return { code: await cli.exited, output: cli.output() };
  };

  it('refuses unclear input with a stable code and changes nothing', async () => {
    const both = await run(['--node-dir', nodeDir, '--key-file', devKey, '--passphrase-file', devKey]);
    assert.equal(both.code, 1);
    assert.match(both.output, /error \[DSV_INPUT_INVALID\]: --passphrase-file and --key-file/);
    const noNew = await run(['--node-dir', nodeDir, '--key-file', devKey]);
    assert.equal(noNew.code, 1);
    assert.match(noNew.output, /error \[DSV_KEK_UNAVAILABLE\]: .*set DSV_NEW_UNSEAL_PASSPHRASE/);
    const notANode = await run(['--node-dir', dataDir, '--key-file', devKey], {
      DSV_NEW_UNSEAL_PASSPHRASE: 'a new passphrase',
    });
    assert.equal(notANode.code, 1);
    assert.match(
      notANode.output,
      /No node database at .*node\.sqlite: --node-dir is one node's data directory/,
    );
    assert.deepEqual(await unsealNode(nodeDir, { kind: 'key-file', path: devKey }), keys);
  });

  it('rotates a dev node from its key file to a passphrase file, with a JSON summary', async () => {
    const passphraseFile = join(dataDir, 'new-passphrase');
    await writeFile(passphraseFile, 'from a file, long enough\n');
    const result = await run([
      '--node-dir',
      nodeDir,
      '--key-file',
      devKey,
      '--new-passphrase-file',
      passphraseFile,
      '--json',
    ]);
    assert.equal(result.code, 0, result.output);
    const summary = JSON.parse(result.output) as Record<string, unknown>;
    assert.deepEqual(
      [summary.liveKeys, summary.rewrapped, summary.destroyedUntouched, summary.alreadyFinished],
      [4, 4, 1, false],
    );
    assert.deepEqual(
      await unsealNode(nodeDir, { kind: 'passphrase', passphrase: 'from a file, long enough' }),
      keys,
    );
    await assert.rejects(unsealNode(nodeDir, { kind: 'key-file', path: devKey }), {
      code: 'DSV_KEK_UNAVAILABLE',
    });
  });
});
