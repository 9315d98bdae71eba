// The library's import boundary (eslint.config.js checks each import; this follows them all): from
// client/index.ts, every module reached is the library's own or one of the leaf modules it may use, and those
// leaves reach nothing but node builtins and each other. A server context pulled in anywhere fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const LEAF_DIRS = ['src/sharing/', 'src/errors/', 'src/kernel/env/'];
// placement.ts: the client computes a key's holders over its pinned nodes (a type-only import of secret-key.ts).
const LEAF_FILES = ['src/trust/node-credentials.ts', 'src/kernel/placement.ts', 'src/kernel/secret-key.ts'];
const IMPORT =
  /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every module reachable from `entry` (paths from the project root) and every bare specifier met. */
function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const source = match[1] ?? match[2] ?? match[3] ?? '';
      if (source.startsWith('.')) pending.push(relative(root, resolve(dirname(join(root, file)), source)));
      else packages.add(source);
    }
  }
  return { files, packages };
}

const isLeaf = (file: string): boolean =>
  LEAF_DIRS.some((dir) => file.startsWith(dir)) || LEAF_FILES.includes(file);

describe('client library boundary', () => {
  const { files, packages } = closure('client/index.ts');

  it('reaches only its own files and the leaf modules', () => {
    const outside = [...files].filter((file) => !file.startsWith('client/') && !isLeaf(file));
    assert.deepEqual(outside, []);
    assert.ok(files.has('client/dsv-client.ts') && files.has('src/sharing/index.ts'));
  });

  it('needs no package: node builtins only', () => {
    assert.deepEqual(
      [...packages].filter((name) => !name.startsWith('node:')),
      [],
    );
  });

  it('the leaves stay leaves', () => {
    for (const leaf of [
      'src/sharing/index.ts',
      'src/errors/index.ts',
      'src/trust/node-credentials.ts',
      'src/kernel/env/index.ts',
      'src/kernel/placement.ts',
    ]) {
      const reached = closure(leaf);
      assert.deepEqual(
        [...reached.files].filter((file) => !isLeaf(file)),
        [],
        leaf,
      );
      assert.deepEqual(
        [...reached.packages].filter((name) => !name.startsWith('node:')),
        [],
        leaf,
      );
    }
  });
});
