// Which node and token a command uses: --url/--token, then DSV_URL/DSV_TOKEN, then the stored login.
import { Option, type Command } from 'commander';
import { readLogin } from './config-store.ts';
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

const origin = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
};

/**
 * The stored token is sent only to the URL it was stored for: pointing `--url` elsewhere never leaks the
 * login's token to another server (pass --token or DSV_TOKEN for that).
 */
export function resolveConnection(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): Connection {
  const login = readLogin();
  const url = options.url ?? env.DSV_URL ?? login?.url ?? FALLBACK_URL;
  const explicit = options.token ?? env.DSV_TOKEN;
  if (explicit !== undefined && explicit !== '') return { url, token: explicit };
  const stored = login !== undefined && origin(login.url) === origin(url) ? login.token : undefined;
  return { url, token: stored };
}

export function clientFor(options: ConnectionOptions): V2Client {
  return new V2Client(resolveConnection(options));
}
