// Adversary harness (DESIGN §13): a real cluster of `dsv server` processes on a real broker (the fault-test
// harness), a root token from `dsv cluster root-token`, and what an attacker holds — one node's complete files
// (its directory from `dsv cluster init`) or only the broker address. Everything here observes the cluster
// from outside: HTTP answers, the files on disk, the Kafka topic.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { nodeConfigFile } from '../../src/node/server/index.ts';
import { bootstrapTenantAdmin } from './admin-separation.ts';
import { runDsv } from './dsv-process.ts';
import {
  startMultiProcessCluster,
  type KafkaAccess,
  type KafkaConnection,
  type MultiProcessCluster,
  type MultiProcessClusterOptions,
} from './multi-process-cluster.ts';
import { waitFor } from './wait.ts';

/** A node config file as `dsv cluster init` wrote it (only the fields the attacker reads). */
export interface RawNodeConfig {
  readonly nodeId: string;
  readonly members: ReadonlyArray<{ readonly nodeId: string; readonly peerUrl: string }>;
  readonly log: {
    readonly bootstrap: string[];
    readonly topic: string;
    readonly partitions: number;
    readonly tls?: { readonly caFile: string };
    readonly sasl?: { readonly mechanism: string; readonly username: string; readonly passwordFile: string };
  };
  readonly tls?: Record<string, string>;
  readonly peerTokenFile?: string;
}

/** TLS client material: the CA to trust and a client certificate with its key. */
export interface ClientTls {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Everything under one node's directory from `dsv cluster init`, plus the broker address. */
export interface StolenNode {
  readonly nodeId: string;
  readonly nodeDir: string;
  readonly dataDir: string;
  readonly config: RawNodeConfig;
  readonly tls: ClientTls;
  /** The peer token this node presents (the shared one today, its own once per-node tokens exist). */
  readonly peerToken: string;
  readonly bootstrap: string[];
  readonly topic: string;
  readonly partitions: number;
  /** The node's own Kafka TLS and SCRAM credentials (its config's log.tls and log.sasl files). */
  readonly kafka: KafkaConnection;
}

export interface AdversaryCluster {
  readonly cluster: MultiProcessCluster;
  readonly clusterDir: string;
  readonly rootToken: string;
  readonly topic: string;
  readonly partitions: number;
  readonly bootstrap: string[];
  /** The log writer's own Kafka user (produce and read the topic) and the broker operator. */
  readonly kafkaAccess: KafkaAccess;
  url(index: number): string;
  /** Node i's peer API base URL (https). */
  peerUrl(index: number): string;
  /** The files an attacker who fully compromised node i holds. */
  stolen(index: number): StolenNode;
  /** Waits until node i applied partition p up to (excluding) `nextOffset`. */
  awaitApplied(index: number, partition: number, nextOffset: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const text = (file: string): string => readFileSync(file, 'utf8');

export async function startAdversaryCluster(
  options: MultiProcessClusterOptions = {},
): Promise<AdversaryCluster> {
  // Production mode: no anonymous access anywhere, so every read and write below carries a client's token and
  // nothing the attacker obtains can be put down to dev mode's anonymous default tenant.
  const cluster = await startMultiProcessCluster({
    ...options,
    configure: (config, index) => {
      const production = { ...config, devMode: false };
      return options.configure?.(production, index) ?? production;
    },
  });
  try {
    const clusterDir = dirname(dirname(resolve(cluster.dataDir(0))));
    const configFile = (i: number): string => nodeConfigFile(clusterDir, i);
    const config = (i: number): RawNodeConfig => JSON.parse(text(configFile(i))) as RawNodeConfig;
    const first = config(0);
    // The first root token of a production cluster comes from the CLI (README), whatever it signs with.
    const issued = runDsv(['cluster', 'root-token', '--config', configFile(0), '--json']);
    const code = await issued.exited;
    if (code !== 0) throw new Error(`dsv cluster root-token exited with ${code}:\n${issued.output()}`);
    const line = issued
      .output()
      .split('\n')
      .find((l) => l.trim().startsWith('{'));
    const rootToken = (JSON.parse(line ?? '{}') as { token?: string }).token ?? '';
    if (!rootToken) throw new Error(`no root token in:\n${issued.output()}`);
    const adversary: AdversaryCluster = {
      cluster,
      clusterDir,
      rootToken,
      topic: first.log.topic,
      partitions: first.log.partitions,
      bootstrap: cluster.kafka.bootstrap,
      kafkaAccess: cluster.kafkaAccess,
      url: (i) => cluster.urls[i] ?? '',
      peerUrl: (i) => first.members[i]?.peerUrl ?? '',
      stolen: (i) => stolenNode(clusterDir, configFile(i), config(i), cluster.kafka.bootstrap),
      async awaitApplied(index, partition, nextOffset, timeoutMs = 30_000) {
        await waitFor(
          async () => ((await cluster.status(index)).applied[partition] ?? 0) >= nextOffset,
          timeoutMs,
          100,
        );
      },
      stop: () => cluster.stopAll(),
    };
    // Every node knows the root token before a test uses it (control catch-up would also do it).
    await waitFor(
      async () =>
        (
          await Promise.all(cluster.urls.map(async (url) => (await whoAmI(url, rootToken)).status === 200))
        ).every(Boolean),
      30_000,
      200,
    );
    return adversary;
  } catch (error) {
    await cluster.stopAll();
    throw error;
  }
}

function stolenNode(
  clusterDir: string,
  configFile: string,
  config: RawNodeConfig,
  bootstrap: string[],
): StolenNode {
  const base = dirname(configFile);
  const nodeDir = join(clusterDir, config.nodeId);
  const tlsFiles = config.tls ?? {};
  const pick = (pattern: RegExp): string | undefined => {
    const key = Object.keys(tlsFiles).find((name) => pattern.test(name));
    const file = key === undefined ? undefined : tlsFiles[key];
    return file === undefined ? undefined : join(base, file);
  };
  // A separate client certificate (clientAuth) once certificates carry separate usages; else the node's.
  const certFile = pick(/^client.*cert/i) ?? pick(/^certFile$/);
  const keyFile = pick(/^client.*key/i) ?? pick(/^keyFile$/);
  const caFile = pick(/^caFile$/) ?? join(nodeDir, 'tls', 'ca.crt');
  return {
    nodeId: config.nodeId,
    nodeDir,
    dataDir: join(nodeDir, 'data'),
    config,
    tls: {
      ca: text(caFile),
      ...(certFile ? { cert: text(certFile) } : {}),
      ...(keyFile ? { key: text(keyFile) } : {}),
    },
    peerToken: nodePeerToken(base, nodeDir, config),
    bootstrap,
    topic: config.log.topic,
    partitions: config.log.partitions,
    kafka: {
      ...(config.log.tls ? { tls: { ca: text(join(base, config.log.tls.caFile)) } } : {}),
      ...(config.log.sasl
        ? {
            sasl: {
              mechanism: 'SCRAM-SHA-512' as const,
              username: config.log.sasl.username,
              password: text(join(base, config.log.sasl.passwordFile)).trim(),
            },
          }
        : {}),
    },
  };
}

/** The node's own peer token: `peer-token` today; inside `identity.json` once each node has its own. */
function nodePeerToken(base: string, nodeDir: string, config: RawNodeConfig): string {
  const identityFile = join(nodeDir, 'identity.json');
  if (existsSync(identityFile)) {
    const found = findString(JSON.parse(text(identityFile)), /peer.?token/i);
    if (found) return found;
  }
  const file = config.peerTokenFile ? join(base, config.peerTokenFile) : join(nodeDir, 'peer-token');
  return existsSync(file) ? text(file).trim() : '';
}

function findString(value: unknown, keyPattern: RegExp): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (keyPattern.test(key) && typeof inner === 'string') return inner;
    const nested = findString(inner, keyPattern);
    if (nested) return nested;
  }
  return undefined;
}

/** Whether `dsv cluster init` wrote per-node identity files (the trust-boundaries protocol). */
export const hasNodeIdentity = (node: StolenNode): boolean => existsSync(join(node.nodeDir, 'identity.json'));

/** Files under a node directory (what the attacker carries away), for messages. */
export const listFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));

// ---------------------------------------------------------------------------------------------------------
// The stolen node's own view: which versions exist, under which write ids (node.sqlite, read-only).

export interface VersionRow {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly partition: number;
}

/** The latest version of `name` in the stolen node's view, with the partition its write was ordered on. */
export function latestVersionSeenBy(dataDir: string, tenant: string, name: string): VersionRow | undefined {
  const db = new DatabaseSync(join(dataDir, 'node.sqlite'), { readOnly: true });
  try {
    const row = db
      .prepare(
        `SELECT v.tenant AS tenant, v.namespace AS namespace, v.name AS name, v.version AS version,
                v.write_id AS writeId, w.partition AS partition
           FROM view_versions v LEFT JOIN view_writes w ON w.write_id = v.write_id
          WHERE v.tenant = ? AND v.name = ? ORDER BY v.version DESC LIMIT 1`,
      )
      .get(tenant, name);
    if (!row) return undefined;
    return {
      tenant: String(row.tenant),
      namespace: String(row.namespace),
      name: String(row.name),
      version: Number(row.version),
      writeId: String(row.writeId),
      partition: Number(row.partition ?? 0),
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Talking to the cluster like a client.

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly code: string | null;
}

export async function http(
  url: string,
  init: { method?: string; token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  try {
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
    });
    const body = await response.text();
    const code =
      response.headers.get('x-dsv-error-code') ?? (/"code"\s*:\s*"(DSV_[A-Z_]+)"/.exec(body)?.[1] || null);
    return { status: response.status, body, code };
  } catch (error) {
    // No answer at all (timeout, reset): status 0, so assertions name what happened.
    return { status: 0, body: (error as Error).message, code: null };
  }
}

/** `GET /v2/sys/tokens/self`: 200 exactly when the token authenticates on that node. */
export const whoAmI = (url: string, token: string): Promise<HttpAnswer> =>
  http(`${url}/v2/sys/tokens/self`, { token, timeoutMs: 10_000 });

export const ALL_CAPABILITIES = ['read', 'create', 'update', 'delete', 'list', 'history', 'admin'];

/**
 * Creates a tenant (root), names its bootstrap admin from verifiers only (I-T4: root never sees that token), and
 * as that admin an all-capabilities policy and a tenant token, through node `url`.
 */
export async function tenantWithToken(
  url: string,
  root: string,
  tenant: string,
): Promise<{ token: string; accessor: string }> {
  const created = await http(`${url}/v2/sys/tenants`, {
    method: 'POST',
    token: root,
    body: { name: tenant },
  });
  if (created.status !== 201) throw new Error(`creating tenant ${tenant}: ${created.status} ${created.body}`);
  const admin = await bootstrapTenantAdmin(url, root, tenant);
  const policy = await http(`${url}/v2/sys/policies/all`, {
    method: 'PUT',
    token: admin.token,
    body: { rules: [{ namespace: '*', name: '*', capabilities: ALL_CAPABILITIES }] },
  });
  if (policy.status !== 200) throw new Error(`policy for ${tenant}: ${policy.status} ${policy.body}`);
  const token = await http(`${url}/v2/sys/tokens`, {
    method: 'POST',
    token: admin.token,
    body: { policies: ['all'] },
  });
  if (token.status !== 201) throw new Error(`token for ${tenant}: ${token.status} ${token.body}`);
  return JSON.parse(token.body) as { token: string; accessor: string };
}

const secretPath = (url: string, namespace: string, name: string): string =>
  `${url}/v2/secrets/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

export const putSecret = (
  url: string,
  token: string,
  namespace: string,
  name: string,
  value: string,
  timeoutMs = 15_000,
): Promise<HttpAnswer> =>
  http(secretPath(url, namespace, name), { method: 'PUT', token, body: { value }, timeoutMs });

/** The value read through `url`, or undefined with the answer when it did not read back. */
export async function getSecret(
  url: string,
  token: string,
  namespace: string,
  name: string,
): Promise<{ answer: HttpAnswer; value: string | undefined }> {
  const answer = await http(secretPath(url, namespace, name), { token });
  const value = answer.status === 200 ? (JSON.parse(answer.body) as { value?: string }).value : undefined;
  return { answer, value };
}

// ---------------------------------------------------------------------------------------------------------
// Talking to a peer API with stolen credentials.

/** One HTTPS request to a peer API with exactly these credentials (no connection reuse). */
export function peerCall(
  url: string,
  path: string,
  tls: ClientTls,
  headers: Record<string, string>,
  body?: unknown,
): Promise<HttpAnswer> {
  return new Promise((resolvePromise) => {
    const req = request(
      new URL(path, url),
      {
        method: body === undefined ? 'GET' : 'POST',
        agent: false,
        ca: tls.ca,
        ...(tls.cert === undefined ? {} : { cert: tls.cert }),
        ...(tls.key === undefined ? {} : { key: tls.key }),
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      },
      (res) => {
        let received = '';
        res.on('data', (chunk: Buffer) => (received += chunk.toString()));
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            body: received,
            code: /"code"\s*:\s*"(DSV_[A-Z_]+)"/.exec(received)?.[1] ?? null,
          }),
        );
        res.on('error', (error) => resolvePromise({ status: 0, body: error.message, code: null }));
      },
    );
    // A refused handshake is a refusal too: status 0 with the reason.
    req.on('error', (error) => resolvePromise({ status: 0, body: error.message, code: null }));
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
