// `dsv login` / `dsv logout`: verify a token against a node, keep `{url, token}` in the private config file,
// with the cluster's node URLs and its topology, pinned here for client-side mode (trust on first use, like an
// SSH host key; or from an operator's file with --topology).
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DsvClient, type ClusterTopology } from '../../../client/index.ts';
import { DsvError } from '../../errors/index.ts';
import { configPath, removeLogin, writeLogin } from '../client/config-store.ts';
import { FALLBACK_URL } from '../client/connection.ts';
import { origin } from '../client/failover.ts';
import { action, printJson } from '../client/output.ts';
import { readSecretInput } from '../client/read-input.ts';
import { V2Client } from '../client/v2-client.ts';

interface TokenSelf {
  accessor: string;
  tenant: string;
  root: boolean;
}

export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .description(
      'verify a token and remember it with the node URL (token from --token, DSV_TOKEN, a prompt or stdin)',
    )
    .addOption(new Option('--url <url>', 'any node of the cluster (default: DSV_URL or 127.0.0.1:8080)'))
    .addOption(
      new Option('--token <token>', 'the token (visible in `ps` and shell history: prefer the prompt)'),
    )
    .option(
      '--topology <file>',
      'pin the cluster topology from this file (the JSON of GET /v2/client-side/topology) instead of trusting the node',
    )
    .option(
      '--client-side',
      'make client-side mode the default: values are split and combined on this machine (--no-client-side per command)',
    )
    .option('--json', 'machine-readable output')
    .action(
      action(async (options: LoginOptions) => {
        const url = options.url ?? process.env.DSV_URL ?? FALLBACK_URL;
        const token = (
          options.token ??
          process.env.DSV_TOKEN ??
          (await readSecretInput('Token: ', true))
        ).trim();
        if (token === '') throw new DsvError('DSV_INPUT_INVALID', 'No token given');
        const client = new V2Client({ url, token });
        const self = await client.json<TokenSelf>('GET', '/v2/sys/tokens/self');
        // A login is for the cluster: keep every node's URL (a node that predates the route: this one only).
        const cluster = await client
          .json<{ nodes?: Array<{ url?: unknown }> }>('GET', '/v2/sys/cluster')
          .catch(() => ({ nodes: [] }));
        const seen = new Set([origin(url)]);
        const others = (cluster.nodes ?? [])
          .map((node) => node.url)
          .filter((node): node is string => typeof node === 'string' && !seen.has(origin(node)))
          .filter((node) => seen.add(origin(node)) !== undefined);
        const urls = [url, ...others];
        const clientSide = options.clientSide === true;
        // The moment client-side mode trusts the cluster: its topology, pinned now (or from the operator's file).
        // The cluster must speak the client-side protocol before that mode becomes the default.
        const topology = await loginTopology(url, options.topology, clientSide);
        writeLogin({
          url,
          token,
          urls,
          ...(clientSide ? { clientSide } : {}),
          ...(topology === undefined ? {} : { topology }),
        });
        // The token is never printed back; the accessor names it for `dsv token revoke`.
        if (options.json)
          return printJson({
            url,
            urls,
            accessor: self.accessor,
            tenant: self.tenant,
            root: self.root,
            mode: clientSide ? 'client-side' : 'server-side',
            ...(topology === undefined ? {} : { topology }),
            config: configPath(),
          });
        const kind = self.root ? 'root token' : `tenant ${self.tenant}`;
        console.log(`logged in to ${url} (${kind}, accessor ${self.accessor}); saved in ${configPath()}`);
        if (others.length > 0)
          console.log(`cluster of ${urls.length} nodes: ${urls.join(', ')} (the token works on each)`);
        if (topology !== undefined)
          console.log(
            `pinned topology: cluster ${topology.clusterId}, ${topology.nodes.map((node) => node.nodeId).join(', ')}` +
              (options.topology === undefined
                ? ` (from ${url}: trusted on first use)`
                : ` (from ${options.topology})`),
          );
        if (clientSide) console.log(`mode: ${modeLine(true)}`);
      }),
    );

  program
    .command('logout')
    .description('forget the stored login (the token itself stays valid: revoke it with dsv token revoke)')
    .option('--json', 'machine-readable output')
    .action(
      action(async (options: { json?: boolean }) => {
        const removed = removeLogin();
        if (options.json) return printJson({ loggedOut: removed, config: configPath() });
        console.log(removed ? `logged out; removed ${configPath()}` : 'not logged in');
      }),
    );
}

interface LoginOptions {
  url?: string;
  token?: string;
  json?: boolean;
  clientSide?: boolean;
  topology?: string;
}

/**
 * The topology to pin: the operator's file, else the node's answer (trust on first use). A node that does not
 * serve client-side mode pins nothing, unless client-side mode is asked for.
 */
async function loginTopology(
  url: string,
  file: string | undefined,
  required: boolean,
): Promise<ClusterTopology | undefined> {
  if (file !== undefined) return readTopologyFile(file);
  return DsvClient.fetchTopology(url).catch((error: unknown) => {
    if (required) throw error;
    return undefined;
  });
}

function readTopologyFile(file: string): ClusterTopology {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DsvError('DSV_INPUT_INVALID', `Cannot read the topology file ${file} as JSON`, {
      cause: error,
    });
  }
  return DsvClient.parseTopology(parsed); // refuses a malformed pin (ids, URLs, sharing)
}

/** How `dsv status` and `dsv login` name a login's mode (issue 9). */
export const modeLine = (clientSide: boolean): string =>
  clientSide ? 'client-side (values are split and combined on this machine)' : 'server-side';
