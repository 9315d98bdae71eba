// `dsv keys rotate|status|refresh-shares`: data-key rotation through the log, rewrap progress on every node,
// and proactive share refresh (refresh-shares-command.ts).
import type { Command } from 'commander';
import { callNode, reportAndExit } from '../admin-client.ts';
import { resolveConnection } from '../client/connection.ts';
import { registerRefreshSharesCommand } from './refresh-shares-command.ts';

const URL_HELP = 'any node of the cluster (default: DSV_URL, the login, or 127.0.0.1:8080)';
const TOKEN_HELP = 'API token (default: DSV_TOKEN, or the stored login)';

interface TenantKeys {
  tenant: string;
  activeKeyId: number | null;
  rewrapPercent: number;
  shards: number;
  keys: Array<{ id: number; state: string; shards: number; tenantKek?: string }>;
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('data-key rotation and status');

  keys
    .command('rotate')
    .description('rotate the data key of one tenant (or all): every node switches at the same log position')
    .option('--tenant <tenant>', 'only this tenant (default: every tenant)')
    .option('--url <url>', URL_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'machine-readable output')
    .action(async (options: { tenant?: string; url?: string; token?: string; json?: boolean }) => {
      try {
        const result = (await callNode(
          resolveConnection(options).url,
          'POST',
          '/api/admin/keys/rotate',
          options.tenant ? { tenant: options.tenant } : {},
          options.token,
        )) as {
          rotated: Array<{ tenant: string; confirmedNodes: string[] }>;
        };
        if (options.json) return console.log(JSON.stringify(result));
        for (const entry of result.rotated) {
          console.log(`rotated ${entry.tenant}: applied on ${entry.confirmedNodes.join(', ')}`);
        }
        if (result.rotated.length === 0) console.log('no tenants to rotate');
      } catch (error) {
        reportAndExit(error);
      }
    });

  registerRefreshSharesCommand(keys, URL_HELP, TOKEN_HELP);

  keys
    .command('status')
    .description("each node's data keys per tenant and the background rewrap's progress")
    .option('--url <url...>', 'nodes to ask (default: DSV_URL, the login, or 127.0.0.1:8080)')
    .option('--token <token>', TOKEN_HELP)
    .option('--wait', 'poll until the rewrap reaches 100 % on every node, showing progress')
    .option('--json', 'machine-readable output')
    .action(async (options: { url?: string[]; token?: string; wait?: boolean; json?: boolean }) => {
      try {
        const urls = options.url ?? [
          resolveConnection(options.token === undefined ? {} : { token: options.token }).url,
        ];
        for (;;) {
          const statuses = await Promise.all(
            urls.map(
              async (url) =>
                (await callNode(url, 'GET', '/api/admin/keys/status', undefined, options.token)) as {
                  nodeId: string;
                  tenants: TenantKeys[];
                },
            ),
          );
          const done = statuses.every((status) =>
            status.tenants.every((tenant) => tenant.rewrapPercent === 100),
          );
          if (options.json) console.log(JSON.stringify(statuses));
          else printStatus(statuses);
          if (!options.wait || done) return;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      } catch (error) {
        reportAndExit(error);
      }
    });
}

function printStatus(statuses: Array<{ nodeId: string; tenants: TenantKeys[] }>): void {
  for (const status of statuses) {
    for (const tenant of status.tenants) {
      const bar = '#'.repeat(Math.round(tenant.rewrapPercent / 5)).padEnd(20, '.');
      const old = tenant.keys
        .filter((key) => key.state === 'retired')
        .map((key) => `${key.id}(${key.shards})`);
      // I-K6: which layer wraps the active key: a tenant-held key (then the node KEK), or the node KEK alone.
      const layer = tenant.keys.find((key) => key.id === tenant.activeKeyId)?.tenantKek;
      console.log(
        `${status.nodeId}  ${tenant.tenant}  active key ${tenant.activeKeyId ?? '-'}  [${bar}] ${tenant.rewrapPercent}%` +
          (layer === undefined ? '' : `  under tenant key ${layer}`) +
          (old.length > 0 ? `  retiring: ${old.join(' ')}` : ''),
      );
    }
  }
}
