// `dsv tenant shred <tenant>`: crypto-shred through the log; every node destroys the tenant's keys and data.
import type { Command } from 'commander';
import { callNode, DEFAULT_URL, reportAndExit } from '../admin-client.ts';

export function registerTenantCommand(program: Command): void {
  const tenant = program.command('tenant').description('tenant administration');
  tenant
    .command('shred <tenant>')
    .description(
      'crypto-shred a tenant: its data keys, shards and metadata are destroyed on every node, for good',
    )
    .option('--url <url>', 'any node of the cluster', DEFAULT_URL)
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, options: { url: string; yes?: boolean; json?: boolean }) => {
      try {
        if (!options.yes) {
          console.error(`refusing to shred "${name}" without --yes: this cannot be undone`);
          process.exit(2);
        }
        const result = (await callNode(
          options.url,
          'POST',
          `/api/admin/tenants/${encodeURIComponent(name)}/shred`,
        )) as {
          shredded: { tenant: string; confirmedNodes: string[] };
        };
        if (options.json) return console.log(JSON.stringify(result));
        console.log(
          `shredded ${result.shredded.tenant}: confirmed by ${result.shredded.confirmedNodes.join(', ')}`,
        );
        console.log('nodes that were down destroy it when they replay the log');
      } catch (error) {
        reportAndExit(error);
      }
    });
}
