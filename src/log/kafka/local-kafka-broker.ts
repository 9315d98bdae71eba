// One local Kafka broker JVM: format its storage, start it, wait until it serves metadata, stop or kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { DsvError } from '../../errors/index.ts';
import {
  JVM_OPTIONS,
  LOG4J2_PROPERTIES,
  renderServerProperties,
  type LocalBrokerSlot,
} from './local-kafka-config.ts';

/** Running brokers → their watchdogs. */
const live = new Map<ChildProcess, ChildProcess | undefined>();
let exitHookInstalled = false;

/** No broker may outlive the process that started it: kill what is left when Node exits. */
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

export class LocalKafkaBroker {
  readonly slot: LocalBrokerSlot;
  readonly #libs: string;
  #child: ChildProcess | undefined;
  #watchdog: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(slot: LocalBrokerSlot, libs: string) {
    this.slot = slot;
    this.#libs = libs;
  }

  get address(): string {
    return `127.0.0.1:${this.slot.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  get #propertiesFile(): string {
    return join(this.slot.dataDir, 'server.properties');
  }

  /** Writes the config and formats storage; `--ignore-formatted` keeps an existing log (restarts, dev data). */
  async prepare(all: readonly LocalBrokerSlot[], clusterId: string): Promise<void> {
    await mkdir(join(this.slot.dataDir, 'log'), { recursive: true });
    await writeFile(this.#propertiesFile, renderServerProperties(this.slot, all));
    await writeFile(join(this.slot.dataDir, 'log4j2.properties'), LOG4J2_PROPERTIES);
    const args = ['format', '--ignore-formatted', '-t', clusterId, '-c', this.#propertiesFile];
    const child = this.#java('kafka.tools.StorageTool', args, 'format.out');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw this.#failure(`formatting storage failed (exit ${code})`, 'format.out');
  }

  /** Starts the JVM and resolves once the broker answers metadata requests listing itself. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.#child) return;
    installExitHook();
    const child = this.#java('kafka.Kafka', [this.#propertiesFile], 'broker.out');
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        live.delete(child);
        this.#watchdog?.kill('SIGKILL');
        this.#watchdog = undefined;
        if (this.#child === child) this.#child = undefined;
        resolve();
      }),
    );
    this.#watchdog = startWatchdog(child.pid);
    live.set(child, this.#watchdog);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child !== child) throw this.#failure('the broker exited during start-up', 'broker.out');
      if (await answersMetadata(this.address, this.slot.nodeId)) return;
      await sleep(250);
    }
    await this.kill();
    throw this.#failure(`the broker did not answer within ${timeoutMs} ms`, 'broker.out');
  }

  /** Clean shutdown (SIGTERM), then SIGKILL when it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Abrupt death, as a crashed machine: no controlled shutdown. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  #java(mainClass: string, args: string[], outFile: string): ChildProcess {
    const out = openSync(join(this.slot.dataDir, outFile), 'w');
    try {
      return spawn(
        'java',
        [
          ...JVM_OPTIONS,
          `-Dlog4j2.configurationFile=${join(this.slot.dataDir, 'log4j2.properties')}`,
          `-Dkafka.logs.dir=${this.slot.dataDir}`,
          '-cp',
          `${this.#libs}/*`,
          mainClass,
          ...args,
        ],
        { stdio: ['ignore', out, out] },
      );
    } finally {
      closeSync(out);
    }
  }

  #failure(what: string, outFile: string): DsvError {
    let tail = '';
    try {
      tail = readFileSync(join(this.slot.dataDir, outFile), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      // no output yet
    }
    return new DsvError(
      'DSV_LOG_UNAVAILABLE',
      `Local Kafka broker ${this.slot.nodeId}: ${what}\n${tail}`.trim(),
    );
  }
}

/**
 * A detached `sh` that SIGKILLs the broker when our end of its stdin closes — which also happens when this
 * process is itself SIGKILLed and no exit hook runs.
 */
function startWatchdog(pid: number | undefined): ChildProcess | undefined {
  if (pid === undefined) return undefined;
  const watchdog = spawn(
    '/bin/sh',
    ['-c', 'read _ignored; kill -9 "$1" 2>/dev/null', 'dsv-kafka-watchdog', String(pid)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  watchdog.unref();
  const stdin = watchdog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
  stdin?.unref?.();
  return watchdog;
}

async function answersMetadata(address: string, nodeId: number): Promise<boolean> {
  const admin = new Admin({
    clientId: 'dsv-local-kafka-probe',
    bootstrapBrokers: [address],
    retries: 0,
    timeout: 2000,
    connectTimeout: 1000,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return metadata.brokers.has(nodeId);
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
