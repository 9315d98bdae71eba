// Counts the sync system calls this process makes while a given piece of load runs: strace attaches to every
// thread of the bench process (the nodes' event loop, libuv's pool where fs.datasync runs, the load worker),
// counts fsync, fdatasync and sync_file_range (-c), and detaches. Counted, never estimated: without strace,
// there is no figure. Tracing stops each thread at every system call, so it runs after the measured slices.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

export interface SyncCalls {
  readonly fsync: number;
  readonly fdatasync: number;
  readonly syncFileRange: number;
}

const TRACED = 'trace=fsync,fdatasync,sync_file_range';
const ATTACH_TIMEOUT_MS = 10_000;
const DETACH_TIMEOUT_MS = 15_000;

/** Why counting is impossible here (strace missing or unusable), or undefined when it works. */
export function straceUnavailable(): string | undefined {
  const probe = spawnSync('strace', ['-V'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) return 'strace unavailable';
  return undefined;
}

/**
 * Reads strace's `-c` summary: rows `% time, seconds, usecs/call, calls, [errors,] syscall`, a rule, a
 * `total` row. Only the named calls are kept; a summary with no traced call at all is empty (0 of each).
 * A row that does not have that shape makes it throw: a figure is never guessed from a table it misread.
 */
export function parseStraceSummary(text: string): SyncCalls {
  const calls = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('%') || /^-+(\s+-+)*$/.test(line)) continue;
    const cells = line.split(/\s+/);
    const name = cells.at(-1)!;
    if (name === 'total') continue;
    const numbers = cells.slice(0, -1);
    if (
      (numbers.length !== 4 && numbers.length !== 5) ||
      !numbers.every((cell) => /^\d+(\.\d+)?$/.test(cell))
    )
      throw new Error(`unexpected strace summary line: ${line.slice(0, 120)}`);
    calls.set(name, (calls.get(name) ?? 0) + Number(numbers[3]));
  }
  return {
    fsync: calls.get('fsync') ?? 0,
    fdatasync: calls.get('fdatasync') ?? 0,
    syncFileRange: calls.get('sync_file_range') ?? 0,
  };
}

/** True when strace (`tracer`) is the tracer of every thread of this process. */
function everyThreadTraced(tracer: number): boolean {
  const tasks = readdirSync('/proc/self/task');
  return tasks.every((task) => {
    try {
      const status = readFileSync(`/proc/self/task/${task}/status`, 'utf8');
      return Number(/^TracerPid:\s*(\d+)/m.exec(status)?.[1]) === tracer;
    } catch {
      return true; // the thread ended meanwhile
    }
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `load` with strace attached to this whole process (`-f -p <pid>`: every thread, and threads started
 * meanwhile), then detaches with SIGINT and returns strace's counts. Throws if strace cannot attach or
 * does not finish; `summaryFile` is removed afterwards.
 */
export async function countSyncCalls<T>(
  summaryFile: string,
  load: () => Promise<T>,
): Promise<{ calls: SyncCalls; result: T }> {
  const strace = spawn('strace', ['-f', '-c', '-e', TRACED, '-p', String(process.pid), '-o', summaryFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  strace.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    strace.once('error', (error) => {
      stderr += String(error);
      resolve();
    });
    // 'close': exited and its stderr pipe closed, so nothing of it is left open.
    strace.once('close', () => resolve());
  }).then(() => {
    exited = true;
  });
  try {
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    while (strace.pid === undefined || !everyThreadTraced(strace.pid)) {
      if (exited || Date.now() > deadline)
        throw new Error(`strace did not attach: ${stderr.trim().split('\n').at(-1) ?? '?'}`);
      await sleep(20);
    }
    const result = await load();
    strace.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      exit.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DETACH_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!stopped) throw new Error('strace did not detach in time');
    return { calls: parseStraceSummary(readFileSync(summaryFile, 'utf8')), result };
  } finally {
    if (!exited) strace.kill('SIGKILL');
    await exit;
    rmSync(summaryFile, { force: true });
  }
}
