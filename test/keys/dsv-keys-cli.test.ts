// The key and tenant commands as an operator runs them against `dsv dev` (DESIGN §8–9).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePortRange } from '../testing/free-ports.ts';
import { runDsv, type DsvProcess } from '../testing/dsv-process.ts';
import { v1 } from '../testing/v1-client.ts';

describe('dsv keys / dsv tenant', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-keys-cli-'));
  let dev: DsvProcess;
  let urls: string[] = [];
  let rootToken = '';

  before(async () => {
    const port = await freePortRange(3);
    urls = [0, 1, 2].map((i) => `http://127.0.0.1:${port + i}`);
    dev = runDsv(['dev', '--port', String(port), '--data-dir', dataDir]);
    await dev.waitFor(/ready/, 60_000);
    // Administration needs the root token `dsv dev` prints, in dev mode too.
    rootToken = /Root token: (\S+)/.exec(dev.output())?.[1] ?? '';
    assert.ok(rootToken);
  });
  after(async () => {
    dev.child.kill('SIGINT');
    await dev.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const cli = runDsv(args, { DSV_TOKEN: rootToken });
    const code = await cli.exited;
    return { code, output: cli.output() };
  };

  it('keys rotate, then keys status --wait shows the rewrap reach 100 % on every node', async () => {
    for (let i = 0; i < 5; i++)
      assert.equal((await v1.create(urls[0] ?? '', 'ops', `k${i}`, `v${i}`)).status, 201);
    const rotate = await run(['keys', 'rotate', '--url', urls[1] ?? '']);
    assert.equal(rotate.code, 0, rotate.output);
    assert.match(rotate.output, /rotated default: applied on node-0, node-1, node-2/);
    const status = await run(['keys', 'status', '--wait', '--url', ...urls]);
    assert.equal(status.code, 0, status.output);
    for (const node of ['node-0', 'node-1', 'node-2'])
      assert.match(status.output, new RegExp(`${node}\\s+default .*100%`));
    assert.equal((await v1.read(urls[2] ?? '', 'ops', 'k3')).body, 'v3');
  });

  it('tenant shred needs --yes, then every node answers 410 DSV_TENANT_SHREDDED', async () => {
    const refused = await run(['tenant', 'shred', 'default', '--url', urls[0] ?? '']);
    assert.equal(refused.code, 2);
    assert.equal((await v1.read(urls[0] ?? '', 'ops', 'k1')).status, 200);
    const shred = await run(['tenant', 'shred', 'default', '--yes', '--url', urls[0] ?? '']);
    assert.equal(shred.code, 0, shred.output);
    for (const url of urls) {
      const read = await v1.read(url, 'ops', 'k1');
      assert.equal(read.status, 410);
      assert.equal(read.code, 'DSV_TENANT_SHREDDED');
    }
  });

  it('errors print their stable code and exit non-zero', async () => {
    const result = await run(['keys', 'status', '--url', 'http://127.0.0.1:1']);
    assert.equal(result.code, 1);
    assert.match(result.output, /error \[DSV_NODE_UNAVAILABLE\]/);
  });
});
