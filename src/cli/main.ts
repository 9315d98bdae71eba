// The `dsv` command line: one program, subcommands per job (commander).
import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit-command.ts';
import { registerClusterCommand } from './commands/cluster-command.ts';
import { registerDevCommand } from './commands/dev-command.ts';
import { registerDevKafkaMode } from './commands/dev-kafka-command.ts';
import { registerKekCommand } from './commands/kek-command.ts';
import { registerKeysCommand } from './commands/keys-command.ts';
import { registerServerCommand } from './commands/server-command.ts';
import { registerStatusCommand } from './commands/status-command.ts';
import { registerTenantCommand } from './commands/tenant-command.ts';

const program = new Command();
program
  .name('dsv')
  .description('DSV — a Distributed Secrets Vault: Shamir-sharded, log-ordered, leaderless')
  .version('0.1.0')
  .showHelpAfterError();

registerDevCommand(program);
registerDevKafkaMode(program);
registerClusterCommand(program);
registerServerCommand(program);
registerStatusCommand(program);
registerKeysCommand(program);
registerKekCommand(program);
registerTenantCommand(program);
registerAuditCommand(program);

await program.parseAsync(process.argv);
