// Issue #11: node data dirs are created 0700 — the dev cluster's (nodes, log, trust, audit) and those
// `dsv cluster init` writes — so no other local user can list or read a node's files.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { initCluster } from '../../src/node/server/index.ts';
import { startTestCluster } from '../testing/dev-cluster.ts';

/** Every directory under `root` (itself included) whose mode lets group or others in. */
function openDirs(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if ((statSync(dir).mode & 0o077) !== 0)
      found.push(`${relative(root, dir) || '.'} ${(statSync(dir).mode & 0o777).toString(8)}`);
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) walk(join(dir, entry.name));
  };
  walk(root);
  return found;
}

describe('data dir modes', () => {
  const base = mkdtempSync(join(tmpdir(), 'dsv-modes-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  it('a dev cluster creates its data dir and every dir under it 0700', async () => {
    const dataDir = join(base, 'dev', 'data'); // does not exist yet
    const test = await startTestCluster({ nodes: 3, dataDir });
    try {
      const dirs = readdirSync(dataDir);
      for (const expected of ['node-0', 'node-1', 'node-2', 'log', 'trust'])
        assert.ok(dirs.includes(expected), dirs.join(' '));
      assert.ok(readdirSync(join(dataDir, 'node-0')).includes('audit'));
      assert.deepEqual(openDirs(dataDir), []);
    } finally {
      await test.stop();
    }
  });

  it('dsv cluster init creates the cluster dir and each node dir 0700', async () => {
    const dir = join(base, 'init', 'cluster');
    await initCluster({ nodes: 3, dir, kafka: ['127.0.0.1:9092'], basePort: 18_680, kek: 'key-file' });
    assert.deepEqual(openDirs(dir), []);
  });
});
