// Which node and token a command uses: --url/--token, then DSV_URL/DSV_TOKEN, then the stored login.
import { Option, type Command } from 'commander';
import { DsvClient } from '../../../client/index.ts';
import { DsvError } from '../../errors/index.ts';
import { readLogin, writeLogin, type StoredLogin, type StoredTopology } from './config-store.ts';
import { origin } from './failover.ts';
import { V2Client, type Connection } from './v2-client.ts';

export const FALLBACK_URL = 'http://127.0.0.1:8080';

export interface ConnectionOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** Adds the options every client command shares (`--json` unless the command prints nothing of its own). */
export function withConnection(command: Command, { json = true }: { json?: boolean } = {}): Command {
  command
    .addOption(
      new Option('--url <url>', 'any node of the cluster (default: DSV_URL, the login, or 127.0.0.1:8080)'),
    )
    .addOption(new Option('--token <token>', 'API token (default: DSV_TOKEN, or the stored login)'));
  return json ? command.option('--json', 'machine-readable output') : command;
}

/**
 * The stored token is sent only to the nodes of the cluster it was stored for (the login's URL and the node
 * URLs the cluster gave at login): pointing `--url` elsewhere never leaks the login's token to another server
 * (pass --token or DSV_TOKEN for that). A URL of the login's cluster gets the login's other nodes as
 * fallbacks, tried when it cannot be reached.
 */
export function resolveConnection(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): Connection {
  const login = readLogin();
  const url = options.url ?? env.DSV_URL ?? login?.url ?? FALLBACK_URL;
  const cluster = login === undefined ? [] : [login.url, ...(login.urls ?? [])];
  const inCluster = isLoginCluster(login, url);
  const seen = new Set([origin(url)]);
  const fallbacks = inCluster
    ? cluster.filter((node) => !seen.has(origin(node)) && seen.add(origin(node)) !== undefined)
    : [];
  const explicit = options.token ?? env.DSV_TOKEN;
  if (explicit !== undefined && explicit !== '') return { url, token: explicit, fallbacks };
  return { url, token: inCluster ? login?.token : undefined, fallbacks };
}

export function clientFor(options: ConnectionOptions): V2Client {
  return new V2Client(resolveConnection(options));
}

/** Whether `url` is one of the login's nodes (its token and its defaults apply there). */
function isLoginCluster(login: StoredLogin | undefined, url: string): boolean {
  const cluster = login === undefined ? [] : [login.url, ...(login.urls ?? [])];
  return cluster.some((node) => origin(node) === origin(url));
}

export type ModeOptions = ConnectionOptions & { clientSide?: boolean };

/** `--client-side` / `--no-client-side` (issue 9): split and combine values on this machine, or not. */
export function withClientSide(command: Command): Command {
  return command
    .option('--client-side', 'split and combine values on this machine: nodes see only shards')
    .option('--no-client-side', 'let a node split and combine (overrides the login default)');
}

/** The flag, else the default of the login the command uses (`dsv login --client-side`), else server-side. */
export function usesClientSide(options: ModeOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  if (options.clientSide !== undefined) return options.clientSide;
  const login = readLogin();
  const url = options.url ?? env.DSV_URL ?? login?.url ?? FALLBACK_URL;
  return login?.clientSide === true && isLoginCluster(login, url);
}

/**
 * The client library for this connection (client-side mode needs a token: holder credentials derive from it),
 * pinned to the topology the login stored: it talks only to those node ids at those URLs, whatever a node
 * answers. A login from before topologies were stored fetches it once and stores it (trust on first use).
 */
export async function dsvClientFor(options: ConnectionOptions): Promise<DsvClient> {
  const { url, token, fallbacks } = resolveConnection(options);
  if (token === undefined)
    throw new DsvError(
      'DSV_AUTH_REQUIRED',
      `Client-side mode needs a token for ${url}: run dsv login, or pass --token / DSV_TOKEN`,
    );
  const login = readLogin();
  if (login === undefined || !isLoginCluster(login, url))
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `Client-side mode talks only to a cluster whose topology is pinned, and ${url} is not a node of the ` +
        `login's: run dsv login --url ${url} first (it pins the cluster's topology)`,
    );
  const topology = login.topology ?? (await pinTopology(login));
  return new DsvClient({ url, token, ...(fallbacks === undefined ? {} : { fallbacks }), ...topology });
}

/** Fetches the login cluster's topology (its nodes in turn, while unreachable) and stores it in the login. */
async function pinTopology(login: StoredLogin): Promise<StoredTopology> {
  let failure: unknown;
  for (const node of [login.url, ...(login.urls ?? [])]) {
    try {
      const topology = await DsvClient.fetchTopology(node);
      writeLogin({ ...login, topology });
      console.error(
        `note: pinned the topology of cluster ${topology.clusterId} (${topology.nodes.length} nodes) from ` +
          `${node}; client-side commands now talk only to these nodes (dsv login again to pin anew)`,
      );
      return topology;
    } catch (error) {
      failure = error;
      if (!(error instanceof DsvError) || error.code !== 'DSV_NODE_UNAVAILABLE') throw error;
    }
  }
  throw failure;
}

/** The client a value-carrying command uses: the library (client-side mode) or the v2 API's. */
export const clientInMode = async (options: ModeOptions): Promise<DsvClient | V2Client> =>
  usesClientSide(options) ? dsvClientFor(options) : clientFor(options);
