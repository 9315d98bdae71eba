// Which node and token a command uses: --url/--token, then DSV_URL/DSV_TOKEN, then the stored login.
import { Option, type Command } from 'commander';
import { readLogin } from './config-store.ts';
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
  const inCluster = cluster.some((node) => origin(node) === origin(url));
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
