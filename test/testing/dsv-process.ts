// Runs the real `dsv` CLI as a child process (pinned Node, src/cli/main.ts) and watches its output.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DsvProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the output once a line matches, rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

export function runDsv(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  /** `stdin: 'pipe'`: write to `child.stdin` (the dev console); by default stdin is /dev/null. */
  options: { stdin?: 'ignore' | 'pipe' } = {},
): DsvProcess {
  const child = spawn(process.execPath, [join(projectRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    output: () => text,
    exited,
    waitFor: async (pattern, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      let done = false;
      void exited.then(() => (done = true));
      while (!pattern.test(text)) {
        if (done) throw new Error(`dsv exited before ${String(pattern)}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return text;
    },
  };
}

/**
 * Stops a `dsv` process that is still running: SIGINT (`dsv dev --kafka` then stops its node processes and its
 * broker), SIGKILL if it has not exited after `killAfterMs`; resolves once it has exited.
 */
export async function stopDsv(dsv: DsvProcess | undefined, killAfterMs = 60_000): Promise<void> {
  if (!dsv || dsv.child.exitCode !== null || dsv.child.signalCode !== null) return;
  dsv.child.kill('SIGINT');
  const timer = setTimeout(() => dsv.child.kill('SIGKILL'), killAfterMs);
  await dsv.exited;
  clearTimeout(timer);
}
