// `dsv token create|list|revoke|self`: API tokens through /v2/sys/tokens; a new token is shown once, here.
import type { Command } from 'commander';
import { clientFor, withConnection, type ConnectionOptions } from '../client/connection.ts';
import { collect, duration } from '../client/option-parsers.ts';
import { action, printJson, printTable } from '../client/output.ts';
import { segment } from '../client/v2-client.ts';

interface CreatedToken {
  token: string;
  accessor: string;
  tenant: string;
  policies: string[];
  expiresAt: string | null;
}

interface ListedToken {
  accessor: string;
  tenant: string | null;
  root: boolean;
  policies: string[];
  displayName: string;
  expiresAt: string | null;
  expired: boolean;
  revoked: boolean;
}

type CreateOptions = ConnectionOptions & {
  tenant?: string;
  policy: string[];
  ttl?: number;
  displayName?: string;
};

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('API tokens: create, revoke, inspect');

  withConnection(
    token
      .command('create')
      .description('create a tenant token bound to policies; prints the token once')
      .option('--tenant <tenant>', "the token's tenant (root only; default: the caller's tenant)")
      .option('--policy <name>', 'a policy the token carries; repeatable', collect, [])
      .option('--ttl <duration>', 'lifetime, e.g. 90s, 15m, 1h, 7d (default: no expiry)', duration)
      .option('--display-name <text>', 'a label shown in the audit trail'),
  ).action(
    action(async (options: CreateOptions) => {
      const created = await clientFor(options).json<CreatedToken>('POST', '/v2/sys/tokens', {
        json: {
          ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
          policies: options.policy,
          ...(options.ttl === undefined ? {} : { ttlSeconds: options.ttl }),
          ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
        },
      });
      if (options.json) {
        printJson(created);
        return warnUnknownPolicies(options, created.tenant, created.policies);
      }
      console.log(`token     ${created.token}`);
      console.log(`accessor  ${created.accessor}`);
      console.log(`tenant    ${created.tenant}`);
      console.log(`policies  ${created.policies.join(', ') || '(none: denied everything)'}`);
      console.log(`expires   ${created.expiresAt ?? 'never'}`);
      console.error('the token is shown only now; DSV keeps only its hash');
      await warnUnknownPolicies(options, created.tenant, created.policies);
    }),
  );

  withConnection(
    token
      .command('revoke <accessor>')
      .description('revoke a token by its accessor (every node stops accepting it)'),
  ).action(
    action(async (accessor: string, options: ConnectionOptions) => {
      const body = await clientFor(options).json<{
        accessor: string;
        revoked: boolean;
        confirmedNodes: string[];
      }>('DELETE', `/v2/sys/tokens/${segment(accessor)}`);
      if (options.json) return printJson(body);
      console.log(`revoked ${body.accessor} (confirmed by ${body.confirmedNodes.join(', ')})`);
    }),
  );

  withConnection(
    token
      .command('list')
      .description(
        "tokens by accessor: every one for root, the tenant's own for a tenant admin (never the token)",
      )
      .option('--tenant <tenant>', 'only this tenant (root; a tenant admin sees only its own)'),
  ).action(
    action(async (options: ConnectionOptions & { tenant?: string }) => {
      const body = await clientFor(options).json<{ tokens: ListedToken[] }>('GET', '/v2/sys/tokens', {
        query: { tenant: options.tenant },
      });
      if (options.json) return printJson(body);
      printTable([
        ['ACCESSOR', 'TENANT', 'POLICIES', 'DISPLAY NAME', 'EXPIRES', 'STATE'],
        ...body.tokens.map((t) => [
          t.accessor,
          t.root ? '(root)' : (t.tenant ?? ''),
          t.root ? '*' : t.policies.join(',') || '-',
          t.displayName || '-',
          t.expiresAt ?? 'never',
          t.revoked ? 'revoked' : t.expired ? 'expired' : 'active',
        ]),
      ]);
    }),
  );

  withConnection(
    token.command('self').description('who the current token is: accessor, tenant, root'),
  ).action(
    action(async (options: ConnectionOptions) => {
      const self = await clientFor(options).json<{ accessor: string; tenant: string; root: boolean }>(
        'GET',
        '/v2/sys/tokens/self',
      );
      if (options.json) return printJson(self);
      console.log(`accessor  ${self.accessor}`);
      console.log(`tenant    ${self.tenant}`);
      console.log(`root      ${self.root ? 'yes' : 'no'}`);
    }),
  );
}

/** A policy name the tenant does not have grants nothing (yet): say so on stderr; the token is still made. */
async function warnUnknownPolicies(
  options: ConnectionOptions,
  tenant: string,
  names: string[],
): Promise<void> {
  if (names.length === 0) return;
  let known: Set<string>;
  try {
    const body = await clientFor(options).json<{ policies: Array<{ name: string }> }>(
      'GET',
      '/v2/sys/policies',
      {
        query: { tenant },
      },
    );
    known = new Set(body.policies.map((p) => p.name));
  } catch {
    return; // not allowed to list policies: nothing to compare with
  }
  for (const name of names.filter((n) => !known.has(n)))
    console.error(
      `warning: tenant ${tenant} has no policy ${name} (yet): it grants nothing until dsv policy put ${name}`,
    );
}
