// `dsv dev` as a new user runs it: ready line, real HTTP, Ctrl-C, restart with the same data dir keeps every
// secret; a wrong unseal passphrase stops the start with a clear message and a non-zero exit (DESIGN §8).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePortRange } from '../testing/free-ports.ts';
import { runDsv } from '../testing/dsv-process.ts';
import { v1 } from '../testing/v1-client.ts';

describe('dsv dev', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-cli-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const start = async (port: number, passphrase?: string) => {
    const dsv = runDsv(['dev', '--port', String(port), '--data-dir', dataDir], {
      DSV_UNSEAL_PASSPHRASE: passphrase,
    });
    await dsv.waitFor(/ready/, 60_000);
    return dsv;
  };

  it('prints every node URL and a ready line, serves v1, and stops cleanly on SIGINT (exit 130)', async () => {
    const port = await freePortRange(3);
    const dsv = await start(port, 'correct horse battery staple');
    for (let i = 0; i < 3; i++)
      assert.match(dsv.output(), new RegExp(`node-${i}\\s+http://127\\.0\\.0\\.1:${port + i}`));
    assert.equal((await v1.create(`http://127.0.0.1:${port}`, 'cli', 'kept', 'across restarts')).status, 201);
    dsv.child.kill('SIGINT');
    assert.equal(await dsv.exited, 130); // as a shell reports Ctrl-C, after the clean shutdown
    assert.match(dsv.output(), /stopping…/);
  });

  it('restarted with the same data dir and passphrase, every secret reads back on every node; SIGTERM exits 143', async () => {
    const port = await freePortRange(3);
    const dsv = await start(port, 'correct horse battery staple');
    for (let i = 0; i < 3; i++) {
      const read = await v1.read(`http://127.0.0.1:${port + i}`, 'cli', 'kept');
      assert.deepEqual([read.status, read.body], [200, 'across restarts']);
    }
    dsv.child.kill('SIGTERM');
    assert.equal(await dsv.exited, 143);
    assert.match(dsv.output(), /stopping…/);
  });

  it('DSV_KEK_UNAVAILABLE: a wrong passphrase exits non-zero with a clear message and serves nothing', async () => {
    const port = await freePortRange(3);
    const dsv = runDsv(['dev', '--port', String(port), '--data-dir', dataDir], {
      DSV_UNSEAL_PASSPHRASE: 'wrong but long enough',
    });
    const code = await dsv.exited;
    assert.notEqual(code, 0);
    assert.match(dsv.output(), /Unseal failed/);
    assert.doesNotMatch(dsv.output(), /ready/);
    assert.doesNotMatch(dsv.output(), /long enough/, 'the passphrase is never echoed');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  });
});
