// The `dsv` command line: one program, subcommands per job (commander).
import { Command } from 'commander';
import { jsonRequested } from './admin-client.ts';
import { registerEnvCommand } from './commands/env-command.ts';
import { registerApprovalCommand } from './commands/approval-command.ts';
import { registerHoldCommand } from './commands/hold-command.ts';
import { registerLoginCommand } from './commands/login-command.ts';
import { registerPolicyCommand } from './commands/policy-command.ts';
import { registerRunCommand } from './commands/run-command.ts';
import { registerSecretCommand } from './commands/secret-command.ts';
import { registerQuotaCommand, registerTenantCommand } from './commands/tenant-command.ts';
import { registerTokenCommand } from './commands/token-command.ts';

const program = new Command();
program
  .name('dsv')
  .description('DSV — a Distributed Secrets Vault: Shamir-sharded, log-ordered, leaderless')
  .version('0.1.0')
  .showHelpAfterError()
  // Program options only before the subcommand: `dsv run -- cmd --version` and `secret get --version N` stay theirs.
  .enablePositionalOptions()
  // Usage errors (unknown option, missing argument, bad option value) exit 2; errors of a command's work exit 1.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  // With --json a usage error is JSON too (stderr): {"error":{"code":"DSV_USAGE","message":…}}.
  .configureOutput({
    outputError: (text, write) =>
      write(
        jsonRequested()
          ? `${JSON.stringify({ error: { code: 'DSV_USAGE', message: text.replace(/^error: /, '').trim() } })}\n`
          : text,
      ),
  });

// Client commands run often (scripts, `dsv run`): they load only what they need. The node and cluster
// commands pull in the whole server (Fastify, Kafka, KMS clients: over a second of start-up), so they are
// imported only when the command line may need them — any other command, help, or completion.
const CLIENT_COMMANDS = new Set([
  'login',
  'logout',
  'secret',
  'env',
  'run',
  'tenant',
  'quota',
  'token',
  'policy',
  'hold',
  'approval',
]);
const subcommand = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const clientOnly = subcommand !== undefined && CLIENT_COMMANDS.has(subcommand);

registerLoginCommand(program);
registerSecretCommand(program);
registerEnvCommand(program);
registerRunCommand(program);

if (!clientOnly) {
  const [dev, devKafka, cluster, server, status, keys, kek] = await Promise.all([
    import('./commands/dev-command.ts'),
    import('./commands/dev-kafka-command.ts'),
    import('./commands/cluster-command.ts'),
    import('./commands/server-command.ts'),
    import('./commands/status-command.ts'),
    import('./commands/keys-command.ts'),
    import('./commands/kek-command.ts'),
  ]);
  dev.registerDevCommand(program);
  devKafka.registerDevKafkaMode(program);
  cluster.registerClusterCommand(program);
  server.registerServerCommand(program);
  status.registerStatusCommand(program);
  keys.registerKeysCommand(program);
  kek.registerKekCommand(program);
}
registerTenantCommand(program);
registerQuotaCommand(program);
registerTokenCommand(program);
registerPolicyCommand(program);
registerHoldCommand(program);
registerApprovalCommand(program);
if (!clientOnly) {
  const [audit, completion] = await Promise.all([
    import('./commands/audit-command.ts'),
    import('./commands/completion-command.ts'),
  ]);
  audit.registerAuditCommand(program);
  completion.registerCompletionCommand(program);
}

await program.parseAsync(process.argv);
