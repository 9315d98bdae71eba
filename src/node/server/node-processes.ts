// N `dsv server` child processes on one machine (`dsv dev --kafka`): spawn on the pinned Node, wait until
// every node sees every peer, report a child that dies, stop and start one again (the dev console's
// `stop node-i` / `start node-i`), stop them all (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DsvError } from '../../errors/index.ts';
import { PASSPHRASE_ENV } from '../../keys/index.ts';
import { PKCS11_PIN_ENV } from './server-node.ts';

/** The descriptor a child reads its unseal passphrase from (`dsv server --passphrase-fd 3`). */
const PASSPHRASE_FD = 3;

/** The CLI entry the children run (src/cli/main.ts), on this process's Node binary (the pinned Node 24). */
const CLI_MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export interface NodeProcessSpec {
  readonly nodeId: string;
  readonly configFile: string;
  readonly publicUrl: string;
}

export interface NodeProcessEvents {
  /** A line the child wrote to stderr (its logs and error messages). */
  readonly onLine: (nodeId: string, line: string) => void;
  /** A child exited while it was not being stopped. */
  readonly onUnexpectedExit: (
    nodeId: string,
    pid: number,
    code: number | null,
    signal: string | null,
  ) => void;
}

interface Child {
  readonly spec: NodeProcessSpec;
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  alive: boolean;
  /** Being stopped on purpose (`stop node-i`, or all on shutdown): its exit is not reported as unexpected. */
  stopping: boolean;
}

interface SpawnOptions {
  kafka: readonly string[];
  env: NodeJS.ProcessEnv;
  events: NodeProcessEvents;
  /** Handed to each child through an inherited pipe (fd 3), never its environment (/proc/<pid>/environ). */
  passphrase?: string;
}

export class NodeProcesses {
  /** The current process of each node, in spec order; a restarted node's entry is replaced. */
  readonly #children: Child[] = [];
  readonly #options: SpawnOptions;
  #stopping = false;

  private constructor(options: SpawnOptions) {
    // Whatever the caller passed, unseal secrets never go into a child's environment.
    const env = { ...options.env };
    delete env[PASSPHRASE_ENV];
    delete env[PKCS11_PIN_ENV];
    this.#options = { ...options, env };
  }

  static spawn(specs: readonly NodeProcessSpec[], options: SpawnOptions): NodeProcesses {
    const cluster = new NodeProcesses(options);
    for (const spec of specs) cluster.#children.push(cluster.#spawnChild(spec));
    return cluster;
  }

  /** One `dsv server` child for `spec`: the same arguments every time, so a restart has the same config. */
  #spawnChild(spec: NodeProcessSpec): Child {
    const { passphrase, kafka, env, events } = this.#options;
    const args = [
      CLI_MAIN,
      'server',
      '--config',
      spec.configFile,
      '--kafka',
      kafka.join(','),
      '--exit-with-parent',
      ...(passphrase === undefined ? [] : ['--passphrase-fd', String(PASSPHRASE_FD)]),
    ];
    // Own process group: Ctrl-C reaches only the parent, which stops nodes before the broker.
    // execArgv: an installed dsv runs with symlinks preserved (bin/dsv.js); its node children must too.
    const preserve = process.execArgv.filter((flag) => flag.startsWith('--preserve-symlinks'));
    const child = spawn(process.execPath, [...preserve, ...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe', passphrase === undefined ? 'ignore' : 'pipe'],
      detached: true,
    });
    const secretPipe = child.stdio[PASSPHRASE_FD];
    if (passphrase !== undefined && secretPipe && 'end' in secretPipe) {
      secretPipe.on('error', () => undefined); // a child that died early: its exit is reported below
      secretPipe.end(passphrase);
    }
    const entry: Child = {
      spec,
      process: child,
      alive: true,
      stopping: false,
      exited: new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          entry.alive = false;
          if (!this.#stopping && !entry.stopping)
            events.onUnexpectedExit(spec.nodeId, child.pid ?? -1, code, signal);
          resolve();
        });
      }),
    };
    child.stdout?.resume(); // its own "ready" lines: the parent reports readiness itself
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => events.onLine(spec.nodeId, line));
    }
    return entry;
  }

  list(): Array<NodeProcessSpec & { pid: number; alive: boolean }> {
    return this.#children.map((child) => ({
      ...child.spec,
      pid: child.process.pid ?? -1,
      alive: child.alive,
    }));
  }

  /** Ready: every node answers /health and counts every node healthy in /api/v1/cluster/status. */
  async awaitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const total = this.#children.length;
    while (Date.now() < deadline) {
      const dead = this.#children.find((child) => !child.alive);
      if (dead) throw new DsvError('DSV_NODE_UNAVAILABLE', `${dead.spec.nodeId} exited while starting`);
      const ready = await Promise.all(this.#children.map((child) => nodeReady(child.spec.publicUrl, total)));
      if (ready.every(Boolean)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new DsvError('DSV_NODE_UNAVAILABLE', `the nodes did not see each other within ${timeoutMs} ms`);
  }

  #child(nodeId: string): Child {
    const child = this.#children.find((candidate) => candidate.spec.nodeId === nodeId);
    if (!child) {
      const known = this.#children.map((candidate) => candidate.spec.nodeId).join(', ');
      throw new DsvError('DSV_ROUTE_NOT_FOUND', `No node ${nodeId} in this dev cluster (nodes: ${known})`);
    }
    return child;
  }

  /**
   * Stops one node process: SIGTERM (it drains its requests and closes its database), SIGKILL after `graceMs`,
   * and waits for it to exit. A node already stopped is left as it is.
   */
  async stopNode(nodeId: string, graceMs = 15_000): Promise<void> {
    const child = this.#child(nodeId);
    if (!child.alive) return;
    child.stopping = true;
    child.process.kill('SIGTERM');
    const timer = setTimeout(() => child.alive && child.process.kill('SIGKILL'), graceMs);
    await child.exited;
    clearTimeout(timer);
  }

  /**
   * Starts a stopped node again — the same config file (ports, data dir, certificates), broker and unseal
   * passphrase — and waits until it serves and sees every other running node (`timeoutMs`). A running node is
   * left as it is.
   */
  async startNode(nodeId: string, timeoutMs = 60_000): Promise<void> {
    const current = this.#child(nodeId);
    if (current.alive) return;
    if (this.#stopping) throw new DsvError('DSV_NODE_UNAVAILABLE', 'the cluster is stopping');
    const child = this.#spawnChild(current.spec);
    this.#children[this.#children.indexOf(current)] = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!child.alive) throw new DsvError('DSV_NODE_UNAVAILABLE', `${nodeId} exited while starting`);
      const running = this.#children.filter((candidate) => candidate.alive).length;
      if (await nodeReady(child.spec.publicUrl, running)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new DsvError(
      'DSV_NODE_UNAVAILABLE',
      `${nodeId} (pid ${child.process.pid ?? -1}) started but did not see its peers within ${timeoutMs} ms`,
    );
  }

  /** SIGTERM every child, SIGKILL whatever is left after `graceMs`. Idempotent. */
  async stop(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    for (const child of this.#children) if (child.alive) child.process.kill('SIGTERM');
    const all = Promise.all(this.#children.map((child) => child.exited));
    const timer = setTimeout(() => {
      for (const child of this.#children) if (child.alive) child.process.kill('SIGKILL');
    }, graceMs);
    await all;
    clearTimeout(timer);
  }
}

async function nodeReady(url: string, total: number): Promise<boolean> {
  try {
    const health = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2000) });
    if (!health.ok) return false;
    const status = await fetch(new URL('/api/v1/cluster/status', url), { signal: AbortSignal.timeout(2000) });
    const figures = (await status.json()) as { healthyNodes?: unknown };
    return figures.healthyNodes === total;
  } catch {
    return false;
  }
}
