// Installs the project's pinned dependencies (Node 24 included) when they are missing or stale.
// Plain JS so that the system Node (any version >= 18) can run it on a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleStale } from './build-console.mjs';

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
  installDeps({ quiet });
  ensureConsoleBuilt({ quiet });
}

function installDeps({ quiet }) {
  if (!isStale()) return;
  if (!quiet) process.stderr.write('dsv: installing dependencies (first run)…\n');
  const hasLock = existsSync(join(projectRoot, 'package-lock.json'));
  // npm's own output goes to stderr: stdout is the command's (`$(dsv secret get …)` on a first run).
  const result = spawnSync('npm', [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund'], {
    cwd: projectRoot,
    stdio: quiet ? 'ignore' : ['ignore', 2, 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write('dsv: dependency installation failed\n');
    process.exit(result.status ?? 1);
  }
}

/**
 * Builds the web console (ui/ → ui/dist, scripts/build-console.mjs) when it is missing or older than its
 * sources, so `npx dsv dev` serves /ui/ with no extra step. Runs in a child process on the pinned Node.
 */
export function ensureConsoleBuilt({ quiet = false } = {}) {
  const script = join(projectRoot, 'scripts', 'build-console.mjs');
  if (!consoleStale()) return; // a few stat calls: every `npx dsv …` runs this
  const runner = existsSync(pinnedNode) ? pinnedNode : process.execPath;
  if (!quiet) process.stderr.write('dsv: building the web console…\n');
  const result = spawnSync(runner, [script], {
    cwd: projectRoot,
    stdio: quiet ? 'ignore' : ['ignore', 2, 'inherit'],
  });
  if (result.status !== 0)
    process.stderr.write('dsv: the web console could not be built (/ui/ will say so)\n');
}

/**
 * Installs the Debian package `pkg` with apt-get when `binary` is missing (as root, where apt-get exists),
 * as scripts/softhsm/ensure-softhsm.sh does for SoftHSM2. Returns whether `binary` exists afterwards.
 */
function ensureDebianPackage({ binary, pkg, why, quiet }) {
  if (existsSync(binary)) return true;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    if (!quiet)
      process.stderr.write(`dsv: ${pkg} is missing; install it with: sudo apt-get install -y ${pkg}\n`);
    return false;
  }
  if (!quiet) process.stderr.write(`dsv: installing ${pkg} with apt-get (first run, ${why})…\n`);
  const stdio = quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { stdio, env }).status ===
    0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio, env });
    install();
  }
  return existsSync(binary);
}

/** Debian's chromium for the browser tests of the console (test/console). */
export function ensureChromium({ quiet = false } = {}) {
  return ensureDebianPackage({
    binary: '/usr/bin/chromium',
    pkg: 'chromium',
    why: 'for the console tests',
    quiet,
  });
}

/** strace, with which `npm run bench` counts fsync calls per operation (it prints none without it). */
export function ensureStrace({ quiet = false } = {}) {
  return ensureDebianPackage({
    binary: '/usr/bin/strace',
    pkg: 'strace',
    why: 'to count fsyncs in the bench',
    quiet,
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureDeps();
  if (process.argv.includes('--chromium')) ensureChromium();
  if (process.argv.includes('--strace')) ensureStrace();
}
