// The `dsv` command line: one program, subcommands per job (commander).
import { Command } from 'commander';
import { registerDevCommand } from './commands/dev-command.ts';
import { registerKeysCommand } from './commands/keys-command.ts';
import { registerTenantCommand } from './commands/tenant-command.ts';

const program = new Command();
program
  .name('dsv')
  .description('DSV — a Distributed Secrets Vault: Shamir-sharded, log-ordered, leaderless')
  .version('0.1.0')
  .showHelpAfterError();

registerDevCommand(program);
registerKeysCommand(program);
registerTenantCommand(program);

await program.parseAsync(process.argv);
