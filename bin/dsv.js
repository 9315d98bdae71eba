#!/usr/bin/env -S node --
// Entry point for `dsv …` (`npm install -g`, `npx dsv` in the checkout): makes sure the pinned dependencies
// (and Node 24) are installed, then runs the TypeScript CLI on the pinned Node, forwarding arguments, stdio,
// signals and exit code.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import { ensureDeps, pinnedNode, projectRoot } from '../scripts/ensure-deps.mjs';

/**
 * Node strips TypeScript types only outside node_modules, and `npm install -g` puts this package in one. So
 * an installed copy runs through a symlink to it from the user's cache dir, with symlinks preserved (Node
 * then sees the link's path, outside node_modules). The CLI's own node children (`dsv dev --kafka`) get the
 * same flags from process.execArgv; the commands `dsv run` starts get nothing of it.
 */
function entryRoot() {
  if (!projectRoot.split(sep).includes('node_modules')) return { root: projectRoot, flags: [] };
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dsv');
  const link = join(cache, `app-${createHash('sha256').update(projectRoot).digest('hex').slice(0, 12)}`);
  let current;
  try {
    current = readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== projectRoot) {
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const temp = `${link}.${process.pid}.tmp`;
    rmSync(temp, { force: true });
    symlinkSync(projectRoot, temp, 'dir');
    renameSync(temp, link); // atomic: a concurrent start sees the old link or the new one
  }
  return { root: link, flags: ['--preserve-symlinks', '--preserve-symlinks-main'] };
}

ensureDeps();
const { root, flags } = entryRoot();
// `--` before the script: Node reads `--env-file` anywhere on its command line, even among the script's
// own arguments (`dsv run --env-file F`), and would exit 9 on a missing F before DSV ever ran.
const child = spawn(
  pinnedNode,
  [...flags, '--', join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
