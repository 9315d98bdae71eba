// `dsv hold create|list|show|release`: retention holds (I-C2b) through /v2/sys/holds. While a hold is in
// force, deletes and crypto-shred of what it covers are refused on every node (DSV_RETENTION_HOLD).
import type { Command } from 'commander';
import { clientFor, withConnection, type ConnectionOptions } from '../client/connection.ts';
import { duration } from '../client/option-parsers.ts';
import { action, printJson, printTable } from '../client/output.ts';
import { segment } from '../client/v2-client.ts';

interface Hold {
  holdId: string;
  tenant: string;
  scope: 'tenant' | 'namespace' | 'secret';
  namespace: string | null;
  name: string | null;
  reason: string;
  placedBy: string;
  placedAt: string;
  expiresAt: string | null;
  expired: boolean;
  active: boolean;
  releasedAt: string | null;
  releasedBy: string | null;
}

type CreateOptions = ConnectionOptions & {
  tenant?: string;
  namespace?: string;
  name?: string;
  reason: string;
  ttl?: number;
};
type TenantOptions = ConnectionOptions & { tenant?: string };

const target = (hold: Hold): string =>
  hold.scope === 'tenant'
    ? `tenant ${hold.tenant}`
    : hold.scope === 'namespace'
      ? `${hold.namespace}/*`
      : `${hold.namespace}/${hold.name}`;

const state = (hold: Hold): string =>
  hold.releasedAt !== null ? 'released' : hold.expired ? 'expired' : 'active';

function printHold(hold: Hold): void {
  console.log(`hold      ${hold.holdId}`);
  console.log(`covers    ${target(hold)} (tenant ${hold.tenant})`);
  console.log(`reason    ${hold.reason}`);
  console.log(`placed    ${hold.placedAt} by ${hold.placedBy}`);
  console.log(`expires   ${hold.expiresAt ?? 'never (until released)'}`);
  console.log(`state     ${state(hold)}`);
  if (hold.releasedAt !== null) console.log(`released  ${hold.releasedAt} by ${hold.releasedBy ?? '?'}`);
}

export function registerHoldCommand(program: Command): void {
  const hold = program
    .command('hold')
    .description('retention holds: deletes and crypto-shred of what a hold covers are refused');

  withConnection(
    hold
      .command('create')
      .description(
        'place a hold on the tenant (no --namespace), a namespace (no --name) or one secret; needs `hold`',
      )
      .requiredOption('--reason <text>', 'why (recorded on every node and in the audit trail)')
      .option('--namespace <namespace>', 'hold this namespace (or, with --name, one secret in it)')
      .option('--name <name>', 'hold only this secret of --namespace')
      .option(
        '--ttl <duration>',
        'expire after, e.g. 30d, 12w (counted in log time; default: until released)',
        duration,
      )
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (options: CreateOptions) => {
      const body = await clientFor(options).json<{ hold: Hold; confirmedNodes: string[] }>(
        'POST',
        '/v2/sys/holds',
        {
          query: { tenant: options.tenant },
          json: {
            reason: options.reason,
            ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
            ...(options.name === undefined ? {} : { name: options.name }),
            ...(options.ttl === undefined ? {} : { ttlSeconds: options.ttl }),
          },
        },
      );
      if (options.json) return printJson(body);
      printHold(body.hold);
      console.log(`confirmed ${body.confirmedNodes.join(', ')}`);
    }),
  );

  withConnection(
    hold
      .command('list')
      .description('holds the caller may see (placed, released or administered by it)')
      .option('--all', 'also released holds')
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (options: TenantOptions & { all?: boolean }) => {
      const body = await clientFor(options).json<{ tenant: string; holds: Hold[] }>('GET', '/v2/sys/holds', {
        query: { tenant: options.tenant, ...(options.all ? { includeReleased: 'true' } : {}) },
      });
      if (options.json) return printJson(body);
      printTable([
        ['HOLD', 'COVERS', 'REASON', 'PLACED BY', 'EXPIRES', 'STATE'],
        ...body.holds.map((h) => [
          h.holdId,
          target(h),
          h.reason,
          h.placedBy,
          h.expiresAt ?? 'never',
          state(h),
        ]),
      ]);
    }),
  );

  withConnection(
    hold
      .command('show <holdId>')
      .description('one hold, released or not')
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (holdId: string, options: TenantOptions) => {
      const body = await clientFor(options).json<Hold>('GET', `/v2/sys/holds/${segment(holdId)}`, {
        query: { tenant: options.tenant },
      });
      if (options.json) return printJson(body);
      printHold(body);
    }),
  );

  withConnection(
    hold
      .command('release <holdId>')
      .description('release a hold (needs `hold-release` on its scope; `hold` alone is not enough)')
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (holdId: string, options: TenantOptions) => {
      const body = await clientFor(options).json<{ hold: Hold; confirmedNodes: string[] }>(
        'DELETE',
        `/v2/sys/holds/${segment(holdId)}`,
        { query: { tenant: options.tenant } },
      );
      if (options.json) return printJson(body);
      console.log(`released ${body.hold.holdId} (confirmed by ${body.confirmedNodes.join(', ')})`);
    }),
  );
}
