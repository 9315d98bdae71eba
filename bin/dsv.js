#!/usr/bin/env -S node --
// Entry point for `npx dsv …`: makes sure the pinned dependencies (and Node 24) are installed,
// then runs the TypeScript CLI on the pinned Node, forwarding arguments, stdio, signals and exit code.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureDeps, pinnedNode, projectRoot } from '../scripts/ensure-deps.mjs';

ensureDeps();
// `--` before the script: Node reads `--env-file` anywhere on its command line, even among the script's
// own arguments (`dsv run --env-file F`), and would exit 9 on a missing F before DSV ever ran.
const child = spawn(
  pinnedNode,
  ['--', join(projectRoot, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
