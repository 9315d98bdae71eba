// Test helper: a real PyKMIP server (scripts/kmip/start-kmip.sh) on a free loopback port, with a throwaway PKI,
// TLS 1.2 and client certificates required. One per test file; a server never outlives the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KmipClient } from '../../src/keys/kek/kmip/kmip-client.ts';
import { freePortRange } from './free-ports.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const START_SCRIPT = join(projectRoot, 'scripts', 'kmip', 'start-kmip.sh');

/** PEM file paths written by scripts/kmip/make-certs.sh. */
export interface KmipPki {
  readonly ca: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Same CA, another identity (CN=dsv-kmip-other): PyKMIP lets only a key's owner use it. */
  readonly otherCert: string;
  readonly otherKey: string;
  /** A CA nobody here trusts, and a client certificate it issued. */
  readonly rogueCa: string;
  readonly rogueCert: string;
  readonly rogueKey: string;
}

export interface KmipServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The server's directory: pass it to startKmip({ dir }) to restart it with the same database and PKI. */
  readonly dir: string;
  readonly pki: KmipPki;
  /** The server's log file (PyKMIP logs every request and every refusal there). */
  readonly logFile: string;
  /** Closes the script's stdin (a clean stop), SIGTERM (kills the server) after 15 s; resolves once it exited. */
  stop(): Promise<void>;
  /** Stops the server and removes its directory (database, PKI, log). */
  dispose(): Promise<void>;
}

/**
 * Starts PyKMIP (installing it into .cache/pykmip-venv on first use, about 15 s) and resolves once it answers
 * Discover Versions over mutually authenticated TLS. `dir` reuses a directory (PKI and database) of an earlier
 * server, e.g. to restart it after stop().
 */
export async function startKmip(options: { timeoutMs?: number; dir?: string } = {}): Promise<KmipServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'dsv-kmip-')));
  const timeoutMs = options.timeoutMs ?? 120_000;
  let lastError: Error | undefined;
  // A port found free can be taken before PyKMIP binds it; try another one then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePortRange(1);
    try {
      return await launch(dir, port, timeoutMs);
    } catch (error) {
      lastError = error as Error;
    }
  }
  if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('PyKMIP did not start');
}

function pkiIn(dir: string): KmipPki {
  const at = (name: string): string => join(dir, 'pki', name);
  return {
    ca: at('ca.pem'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    otherCert: at('other-client.pem'),
    otherKey: at('other-client.key'),
    rogueCa: at('rogue-ca.pem'),
    rogueCert: at('rogue-client.pem'),
    rogueKey: at('rogue-client.key'),
  };
}

async function launch(dir: string, port: number, timeoutMs: number): Promise<KmipServer> {
  const child: ChildProcess = spawn('bash', [START_SCRIPT, dir, String(port), '--stop-on-eof'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', LANG: 'C.UTF-8' },
  });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running = false;
      resolve();
    }),
  );
  // Our end of the pipe must not keep the test process alive; closing it is the stop signal.
  (child.stdin as Socket | null)?.unref();

  const stop = async (): Promise<void> => {
    if (!running) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const pki = pkiIn(dir);
  const logFile = join(dir, 'server.log');
  const server: KmipServer = {
    host: '127.0.0.1',
    port,
    dir,
    pki,
    logFile,
    stop,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running) throw new Error(`start-kmip.sh exited during start-up:\n${output}\n${await tail(logFile)}`);
    if (await answers(server)) return server;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(
    `PyKMIP did not answer on port ${port} within ${timeoutMs} ms:\n${output}\n${await tail(logFile)}`,
  );
}

async function answers(server: KmipServer): Promise<boolean> {
  try {
    const [ca, cert, key] = await Promise.all(
      [server.pki.ca, server.pki.clientCert, server.pki.clientKey].map((path) => readFile(path)),
    );
    const client = await KmipClient.connect({
      host: server.host,
      port: server.port,
      ca: ca!,
      cert: cert!,
      key: key!,
      timeoutMs: 2000,
    });
    client.close();
    return true;
  } catch {
    return false;
  }
}

async function tail(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}
