// One local Kafka broker JVM: format its storage, start it, wait until it serves metadata, stop or kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Admin, type BaseOptions } from '@platformatic/kafka';
import { DsvError } from '../../errors/index.ts';
import {
  type BrokerSecurity,
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

/** A SASL_SSL broker: its certificate (PEM), the SCRAM users made at format time, the admin's client options. */
export interface LocalBrokerSecurity {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  /** SCRAM-SHA-512 users created with `format --add-scram` (the admin among them). */
  readonly scramUsers: readonly { readonly name: string; readonly password: string }[];
  /** Connection options of the admin client (TLS + SASL), for the start-up probe. */
  readonly adminClient: Pick<BaseOptions, 'tls' | 'sasl'>;
}

export class LocalKafkaBroker {
  readonly slot: LocalBrokerSlot;
  readonly #libs: string;
  readonly #security: LocalBrokerSecurity | undefined;
  #child: ChildProcess | undefined;
  #watchdog: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(slot: LocalBrokerSlot, libs: string, security?: LocalBrokerSecurity) {
    this.slot = slot;
    this.#libs = libs;
    this.#security = security;
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
    const security = this.#security;
    let files: BrokerSecurity | undefined;
    if (security !== undefined) {
      files = {
        keystoreFile: join(this.slot.dataDir, 'broker-keystore.pem'),
        truststoreFile: join(this.slot.dataDir, 'ca.pem'),
        adminUser: security.adminUser,
        adminPassword: security.adminPassword,
      };
      await writeFile(files.keystoreFile, `${security.keyPem.trim()}\n${security.certPem.trim()}\n`, {
        mode: 0o600,
      });
      await writeFile(files.truststoreFile, security.caPem);
    }
    // The properties hold the admin password when secured: readable by this user only.
    await writeFile(this.#propertiesFile, renderServerProperties(this.slot, all, files), { mode: 0o600 });
    await writeFile(join(this.slot.dataDir, 'log4j2.properties'), LOG4J2_PROPERTIES);
    // '--cluster-id=…' in one argument: a base64url id may start with '-', which argparse would take for an option.
    const args = ['format', '--ignore-formatted', `--cluster-id=${clusterId}`, '-c', this.#propertiesFile];
    // SCRAM credentials go into the bootstrap metadata, so brokers can authenticate each other from the start.
    for (const user of security?.scramUsers ?? []) {
      args.push('--add-scram', `SCRAM-SHA-512=[name=${user.name},password=${user.password}]`);
    }
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
      if (await answersMetadata(this.address, this.slot.nodeId, this.#security?.adminClient ?? {})) return;
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

async function answersMetadata(
  address: string,
  nodeId: number,
  connection: Pick<BaseOptions, 'tls' | 'sasl'>,
): Promise<boolean> {
  const admin = new Admin({
    ...connection,
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
