// `dsv approval grant|list|revoke|audit|break-glass` (I-T4, I-T4c): a root token reads and changes no tenant's
// secrets; the tenant's admin grants it an approval bounded in time and scope, and sees every use. Break-glass
// is the operator key's (straight to the log, like `dsv cluster root-token`), short-lived, with a reason.
import { InvalidArgumentError, type Command } from 'commander';
import type { Capability } from '../../control/index.ts';
import { reportAndExit } from '../admin-client.ts';
import { clientFor, withConnection, type ConnectionOptions } from '../client/connection.ts';
import { duration } from '../client/option-parsers.ts';
import { action, printJson, printTable } from '../client/output.ts';
import { segment } from '../client/v2-client.ts';

interface Approval {
  approvalId: string;
  kind: 'grant' | 'break-glass';
  tenant: string;
  grantee: string;
  namespace: string;
  name: string;
  capabilities: string[];
  reason: string;
  grantedBy: string | null;
  grantedAt: string;
  expiresAt: string;
  active: boolean;
  revokedAt: string | null;
}

interface AuditRecord {
  seq: number;
  time: string;
  operation: string;
  target: string | null;
  accessor: string | null;
  outcome: string;
  status: number;
}

const SECRET_CAPABILITIES = ['read', 'create', 'update', 'delete', 'list', 'history'];

function capabilities(raw: string): Capability[] {
  const list = raw.split(',').map((c) => c.trim());
  if (list.length === 0 || !list.every((c) => SECRET_CAPABILITIES.includes(c)))
    throw new InvalidArgumentError(`expected some of ${SECRET_CAPABILITIES.join(',')} (comma-separated)`);
  return list as Capability[];
}

function scope(path: string): { namespace: string; name: string } {
  const slash = path.indexOf('/');
  if (slash <= 0) throw new InvalidArgumentError('expected "namespace/name" patterns, e.g. app/db* or app/*');
  return { namespace: path.slice(0, slash), name: path.slice(slash + 1) };
}

const state = (a: Approval): string => (a.revokedAt !== null ? 'revoked' : a.active ? 'active' : 'expired');

type GrantOptions = ConnectionOptions & {
  grantee: string;
  path: string;
  capabilities: Capability[];
  ttl: number;
  reason: string;
};
type TenantOptions = ConnectionOptions & { tenant?: string };

export function registerApprovalCommand(program: Command): void {
  const approval = program
    .command('approval')
    .description("admin separation: approvals that let a root token reach a tenant's secrets, for a while");

  withConnection(
    approval
      .command('grant')
      .description("grant a root token an approval on this tenant's secrets (the tenant's admin only)")
      .requiredOption('--grantee <accessor>', "the root token's accessor (`dsv token lookup` as root)")
      .requiredOption('--path <namespace/name>', 'patterns, exact or a prefix ending in *, e.g. app/db*')
      .requiredOption('--capabilities <list>', `some of ${SECRET_CAPABILITIES.join(',')}`, capabilities)
      .requiredOption(
        '--ttl <duration>',
        'how long, e.g. 15m, 2h (at most 7d; counted in log time)',
        duration,
      )
      .requiredOption('--reason <text>', 'why (shown to the tenant with every use)'),
  ).action(
    action(async (options: GrantOptions) => {
      const body = await clientFor(options).json<{ approval: Approval; confirmedNodes: string[] }>(
        'POST',
        '/v2/sys/approvals',
        {
          json: {
            grantee: options.grantee,
            path: options.path,
            capabilities: options.capabilities,
            ttlSeconds: options.ttl,
            reason: options.reason,
          },
        },
      );
      if (options.json) return printJson(body);
      const a = body.approval;
      console.log(`approval  ${a.approvalId}`);
      console.log(`grants    ${a.capabilities.join(',')} on ${a.namespace}/${a.name} to ${a.grantee}`);
      console.log(`expires   ${a.expiresAt}`);
      console.log(`confirmed ${body.confirmedNodes.join(', ')}`);
    }),
  );

  withConnection(
    approval
      .command('list')
      .description("the tenant's approvals and break-glass records, in force or not")
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (options: TenantOptions) => {
      const body = await clientFor(options).json<{ tenant: string; approvals: Approval[] }>(
        'GET',
        '/v2/sys/approvals',
        { query: { tenant: options.tenant } },
      );
      if (options.json) return printJson(body);
      printTable([
        ['APPROVAL', 'KIND', 'GRANTEE', 'SCOPE', 'CAPABILITIES', 'EXPIRES', 'STATE', 'REASON'],
        ...body.approvals.map((a) => [
          a.approvalId,
          a.kind,
          a.grantee,
          `${a.namespace}/${a.name}`,
          a.capabilities.join(','),
          a.expiresAt,
          state(a),
          a.reason,
        ]),
      ]);
    }),
  );

  withConnection(
    approval.command('revoke <approvalId>').description('end an approval early (the tenant admin only)'),
  ).action(
    action(async (approvalId: string, options: ConnectionOptions) => {
      const body = await clientFor(options).json<{ approval: Approval; confirmedNodes: string[] }>(
        'DELETE',
        `/v2/sys/approvals/${segment(approvalId)}`,
      );
      if (options.json) return printJson(body);
      console.log(`revoked ${body.approval.approvalId}; confirmed ${body.confirmedNodes.join(', ')}`);
    }),
  );

  withConnection(
    approval
      .command('audit')
      .description("the tenant's audit view on the node: approvals, break-glass and every use of them")
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (options: TenantOptions) => {
      const body = await clientFor(options).json<{
        tenant: string;
        node: string | null;
        verified: boolean;
        records: AuditRecord[];
      }>('GET', '/v2/sys/approvals/audit', { query: { tenant: options.tenant } });
      if (options.json) return printJson(body);
      console.log(
        `tenant ${body.tenant} on ${body.node ?? '?'}: chain ${body.verified ? 'intact' : 'BROKEN'}`,
      );
      printTable([
        ['SEQ', 'TIME', 'OPERATION', 'TARGET', 'ACCESSOR', 'STATUS'],
        ...body.records.map((r) => [
          String(r.seq),
          r.time,
          r.operation,
          r.target ?? '',
          r.accessor ?? '',
          String(r.status),
        ]),
      ]);
    }),
  );

  approval
    .command('break-glass')
    .description('operator only: a short-lived approval signed by operator.key, audited on every node')
    .requiredOption('--config <file>', 'any node config file of the cluster (for its Kafka settings)')
    .requiredOption('--tenant <tenant>', 'the tenant')
    .requiredOption('--grantee <accessor>', "the root token's accessor")
    .requiredOption('--path <namespace/name>', 'patterns, exact or a prefix ending in *', scope)
    .requiredOption('--capabilities <list>', `some of ${SECRET_CAPABILITIES.join(',')}`, capabilities)
    .requiredOption('--ttl <duration>', 'how long (at most 1h)', duration)
    .requiredOption('--reason <text>', 'why (mandatory; recorded in the log and shown to the tenant)')
    .option('--operator-dir <dir>', 'directory holding operator.key (default: where dsv cluster init put it)')
    .option('--json', 'machine-readable output')
    .action(
      async (options: {
        config: string;
        tenant: string;
        grantee: string;
        path: { namespace: string; name: string };
        capabilities: Capability[];
        ttl: number;
        reason: string;
        operatorDir?: string;
        json?: boolean;
      }) => {
        try {
          const { issueBreakGlass, loadServerConfig } = await import('../../node/server/index.ts');
          const issued = await issueBreakGlass(
            loadServerConfig(options.config),
            {
              tenant: options.tenant,
              grantee: options.grantee,
              ...options.path,
              capabilities: options.capabilities,
              ttlMs: options.ttl * 1000,
              reason: options.reason,
            },
            options.operatorDir,
          );
          if (options.json) return console.log(JSON.stringify(issued));
          console.log(
            `break-glass ${issued.approvalId} for ${options.tenant}: nodes apply it as they read the log`,
          );
        } catch (error) {
          reportAndExit(error);
        }
      },
    );
}
