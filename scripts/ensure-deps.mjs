// Installs the project's pinned dependencies (Node 24 included) when they are missing or stale.
// Plain JS so that the system Node (any version >= 18) can run it on a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node 24 binary the project pins (the `node` npm package). */
export const pinnedNode = join(projectRoot, 'node_modules', 'node', 'bin', 'node');

function isStale() {
  const marker = join(projectRoot, 'node_modules', '.package-lock.json');
  if (!existsSync(marker) || !existsSync(pinnedNode)) return true;
  const lock = join(projectRoot, 'package-lock.json');
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
}

export function ensureDeps({ quiet = false } = {}) {
  if (!isStale()) return;
  if (!quiet) process.stderr.write('dsv: installing dependencies (first run)…\n');
  const hasLock = existsSync(join(projectRoot, 'package-lock.json'));
  const result = spawnSync('npm', [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund'], {
    cwd: projectRoot,
    stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write('dsv: dependency installation failed\n');
    process.exit(result.status ?? 1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureDeps();
