// Runs the real `dsv` CLI the way a user's shell does — separate stdout/stderr, optional stdin, exit code —
// against a `dsv dev` cluster started as a child process, with DSV_CONFIG in a private temp dir.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDsv, projectRoot, type DsvProcess } from './dsv-process.ts';
import { freePortRange } from './free-ports.ts';

export interface CliResult {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  readonly env?: Record<string, string | undefined>;
  readonly input?: string;
  readonly cwd?: string;
}

export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [join(projectRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: options.cwd ?? projectRoot,
    // Never the caller's login or token: each test says exactly what the CLI gets.
    env: {
      ...process.env,
      DSV_TOKEN: undefined,
      DSV_URL: undefined,
      DSV_NAMESPACE: undefined,
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? signal ?? 'unknown', stdout, stderr })),
  );
}

export interface DevClusterForCli {
  readonly url: string;
  readonly port: number;
  readonly rootToken: string;
  readonly home: string;
  readonly configPath: string;
  /** Runs the CLI with DSV_CONFIG pointing at this cluster's private config file. */
  cli(args: readonly string[], options?: CliRunOptions): Promise<CliResult>;
  stop(): Promise<void>;
}

/** `npx dsv dev` as a new user runs it: read the node URL and the printed root token from its output. */
export async function startDevForCli(): Promise<DevClusterForCli> {
  const port = await freePortRange(3);
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-cli-data-'));
  const home = mkdtempSync(join(tmpdir(), 'dsv-cli-home-'));
  const dev: DsvProcess = runDsv(['dev', '--port', String(port), '--data-dir', dataDir]);
  const output = await dev.waitFor(/ready/, 90_000);
  const rootToken = /Root token: (\S+)/.exec(output)?.[1];
  const url = /node-0\s+(http:\/\/\S+)/.exec(output)?.[1];
  if (rootToken === undefined || url === undefined)
    throw new Error(`dsv dev printed no token or URL:\n${output}`);
  const configPath = join(home, 'config', 'dsv', 'config.json');
  return {
    url,
    port,
    rootToken,
    home,
    configPath,
    cli: (args, options = {}) =>
      runCli(args, { ...options, env: { DSV_CONFIG: configPath, ...options.env } }),
    stop: async () => {
      dev.child.kill('SIGINT');
      await dev.exited;
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
}
