// Test helper: a real moto server (AWS KMS-compatible) on a free loopback port, from a project-local venv.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePortRange } from './free-ports.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENSURE_SCRIPT = join(projectRoot, 'scripts', 'moto', 'ensure-moto.sh');

export interface Moto {
  /** `http://127.0.0.1:<port>`: pass as the AWS SDK `endpoint`. */
  readonly endpoint: string;
  /** SIGTERM, then SIGKILL after a few seconds; resolves once the server has exited. */
  stop(): Promise<void>;
}

/** Running servers → their watchdogs. */
const live = new Map<ChildProcess, ChildProcess | undefined>();
let exitHookInstalled = false;

/** No server may outlive the test process: kill what is left when Node exits, however it exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [child, watchdog] of live) {
      watchdog?.kill('SIGKILL');
      child.kill('SIGKILL');
    }
  });
}

/**
 * Makes sure the pinned moto is installed (scripts/moto/ensure-moto.sh: about 1.5 minutes the first time,
 * instant after), then starts `moto_server` and resolves once it answers HTTP.
 */
export async function startMoto(options: { timeoutMs?: number } = {}): Promise<Moto> {
  const venv = ensureMotoVenv();
  const timeoutMs = options.timeoutMs ?? 30_000;
  let lastError: Error | undefined;
  // A port found free can be taken before moto binds it; try another one then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePortRange(1);
    try {
      return await launch(venv, port, timeoutMs);
    } catch (error) {
      lastError = error as Error;
    }
  }
  throw lastError ?? new Error('moto did not start');
}

/** Runs the provisioning script synchronously (it is idempotent and serialised by a lock). */
export function ensureMotoVenv(): string {
  const result = spawnSync('bash', [ENSURE_SCRIPT], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`${ENSURE_SCRIPT} failed (exit ${result.status})`);
  const venv = result.stdout.trim().split('\n').pop();
  if (venv === undefined || venv === '') throw new Error(`${ENSURE_SCRIPT} printed no venv path`);
  return venv;
}

async function launch(venv: string, port: number, timeoutMs: number): Promise<Moto> {
  installExitHook();
  const child = spawn(join(venv, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // A minimal environment: the server never sees the developer's AWS_* variables or profiles.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', LANG: 'C.UTF-8' },
  });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      watchdog?.kill('SIGKILL');
      live.delete(child);
      resolve();
    }),
  );
  const watchdog = startWatchdog(child.pid);
  live.set(child, watchdog);
  let running = true;
  void exited.then(() => (running = false));

  const stop = async (): Promise<void> => {
    if (!running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running) throw new Error(`moto_server exited during start-up:\n${output}`);
    if (await answers(endpoint)) return { endpoint, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${output}`);
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/reset`, {
      method: 'POST',
      signal: AbortSignal.timeout(1000),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * A detached `sh` that SIGKILLs the server when our end of its stdin closes — which also happens when this
 * process is itself SIGKILLed and no exit hook runs.
 */
function startWatchdog(pid: number | undefined): ChildProcess | undefined {
  if (pid === undefined) return undefined;
  const watchdog = spawn(
    '/bin/sh',
    ['-c', 'read _ignored; kill -9 "$1" 2>/dev/null', 'dsv-moto-watchdog', String(pid)],
    { stdio: ['pipe', 'ignore', 'ignore'], detached: true },
  );
  watchdog.unref();
  const stdin = watchdog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
  stdin?.unref?.();
  return watchdog;
}
