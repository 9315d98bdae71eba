// `dsv tenant create|list|shred` and `dsv quota set|get`: tenants through /v2/sys (shred through the admin
// API: crypto-shred through the log; every node destroys the tenant's keys and data).
import type { Command } from 'commander';
import { callNode, reportAndExit } from '../admin-client.ts';
import {
  clientFor,
  resolveConnection,
  withConnection,
  type ConnectionOptions,
} from '../client/connection.ts';
import { limitOrNone } from '../client/option-parsers.ts';
import { action, printJson, printTable } from '../client/output.ts';
import { readFileSync } from 'node:fs';
import { makeAdminRequest } from '../client/admin-request.ts';
import { writePrivateFile } from '../client/private-file.ts';
import { segment } from '../client/v2-client.ts';
import { registerTenantKeyCommand } from './tenant-key-command.ts';

interface Quota {
  maxSecrets: number | null;
  maxValueBytes: number | null;
  requestsPerSecond: number | null;
}
type ShredOptions = { url?: string; token?: string; yes?: boolean; json?: boolean };
type QuotaOptions = ConnectionOptions & { tenant?: string } & { [K in keyof Quota]?: number | 'none' };

export function registerTenantCommand(program: Command): void {
  const tenant = program.command('tenant').description('tenant administration');
  registerTenantKeyCommand(tenant);

  withConnection(tenant.command('create <tenant>').description('create a tenant (root only)')).action(
    action(async (name: string, options: ConnectionOptions) => {
      const body = await clientFor(options).json<{ name: string }>('POST', '/v2/sys/tenants', {
        json: { name },
      });
      if (options.json) return printJson({ tenant: body.name, created: true });
      console.log(`created tenant ${body.name}`);
    }),
  );

  // I-T4 bootstrap: the future admin makes its token here; root records only its verifiers, once per tenant.
  withConnection(
    tenant
      .command('admin-request')
      .description(
        'make a tenant admin token on this machine, and the verifiers root needs to name it (I-T4)',
      )
      .option(
        '--verifiers-out <file>',
        'write the verifiers (for root) to this file instead of printing them',
      ),
  ).action(
    action(async (options: ConnectionOptions & { verifiersOut?: string }) => {
      const request = await makeAdminRequest(resolveConnection(options).url);
      const verifiers = JSON.stringify(request.verifiers);
      if (options.verifiersOut !== undefined) writePrivateFile(options.verifiersOut, `${verifiers}\n`);
      if (options.json) return printJson(request);
      console.log(`Tenant admin token (keep it; shown once): ${request.token}`);
      if (options.verifiersOut === undefined) console.log(`Verifiers (give these to root): ${verifiers}`);
      console.log('root runs: dsv tenant bootstrap <tenant> --verifiers <file or JSON>');
    }),
  );

  withConnection(
    tenant
      .command('bootstrap <tenant>')
      .description(
        'root only, once per tenant: name its admin from the verifiers `dsv tenant admin-request` made',
      )
      .requiredOption('--verifiers <file-or-json>', 'the verifiers: a JSON object, or a file holding one'),
  ).action(
    action(async (name: string, options: ConnectionOptions & { verifiers: string }) => {
      const text = options.verifiers.trim().startsWith('{')
        ? options.verifiers
        : readFileSync(options.verifiers, 'utf8');
      const body = await clientFor(options).json<{
        tenant: string;
        accessor: string;
        confirmedNodes: string[];
      }>('POST', `/v2/sys/tenants/${segment(name)}/admin`, {
        json: { verifiers: JSON.parse(text) as unknown },
      });
      if (options.json) return printJson(body);
      console.log(`tenant ${body.tenant}: admin named (accessor ${body.accessor}); root cannot name another`);
    }),
  );

  withConnection(
    tenant.command('list').description('every tenant (root only); crypto-shredded ones are marked'),
  ).action(
    action(async (options: ConnectionOptions) => {
      const body = await clientFor(options).json<{ tenants: string[]; shredded?: string[] }>(
        'GET',
        '/v2/sys/tenants',
      );
      const shredded = new Set(body.shredded ?? []);
      if (options.json) return printJson({ tenants: body.tenants, shredded: [...shredded] });
      for (const name of body.tenants) console.log(shredded.has(name) ? `${name}  (shredded)` : name);
    }),
  );
  tenant
    .command('shred <tenant>')
    .description(
      'crypto-shred a tenant: its data keys, shards and metadata are destroyed on every node, for good',
    )
    .option('--url <url>', 'any node of the cluster (default: DSV_URL, the login, or 127.0.0.1:8080)')
    .option('--token <token>', 'API token (default: DSV_TOKEN, or the stored login)')
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, options: ShredOptions) => {
      try {
        if (!options.yes) {
          console.error(`refusing to shred "${name}" without --yes: this cannot be undone`);
          process.exit(2);
        }
        const result = (await callNode(
          resolveConnection(options).url,
          'POST',
          `/api/admin/tenants/${encodeURIComponent(name)}/shred`,
          undefined,
          options.token,
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

const unlimited = (value: number | null): string => (value === null ? 'unlimited' : String(value));

export function registerQuotaCommand(program: Command): void {
  const quota = program.command('quota').description("a tenant's limits: secrets, value size, request rate");

  withConnection(
    quota
      .command('set')
      .description('change some limits, keeping the others ("none" lifts a limit; root only)')
      .option('--tenant <tenant>', "the tenant (default: the caller's tenant)")
      .option('--max-secrets <n>', 'live secrets at most', limitOrNone)
      .option('--max-value-bytes <n>', 'bytes per value at most', limitOrNone)
      .option('--requests-per-second <n>', 'request rate at most', limitOrNone),
  ).action(
    action(async (options: QuotaOptions) => {
      const client = clientFor(options);
      const query = { query: { tenant: options.tenant } };
      // The API replaces the whole quota: start from the current one so unnamed limits are kept.
      const current = await client.json<{ quota: Quota }>('GET', '/v2/sys/quotas', query);
      const pick = (given: number | 'none' | undefined, kept: number | null): number | null =>
        given === undefined ? kept : given === 'none' ? null : given;
      const next: Quota = {
        maxSecrets: pick(options.maxSecrets, current.quota.maxSecrets),
        maxValueBytes: pick(options.maxValueBytes, current.quota.maxValueBytes),
        requestsPerSecond: pick(options.requestsPerSecond, current.quota.requestsPerSecond),
      };
      const body = await client.json<{ tenant: string; quota: Quota }>('PUT', '/v2/sys/quotas', {
        ...query,
        json: next,
      });
      if (options.json) return printJson({ tenant: body.tenant, quota: body.quota });
      printQuota(body.tenant, body.quota);
    }),
  );

  withConnection(
    quota
      .command('get')
      .description("a tenant's limits")
      .option('--tenant <tenant>', "the tenant (default: the caller's)"),
  ).action(
    action(async (options: ConnectionOptions & { tenant?: string }) => {
      const body = await clientFor(options).json<{ tenant: string; quota: Quota }>('GET', '/v2/sys/quotas', {
        query: { tenant: options.tenant },
      });
      if (options.json) return printJson(body);
      printQuota(body.tenant, body.quota);
    }),
  );
}

function printQuota(tenant: string, quota: Quota): void {
  printTable([
    ['TENANT', 'MAX SECRETS', 'MAX VALUE BYTES', 'REQUESTS/S'],
    [tenant, unlimited(quota.maxSecrets), unlimited(quota.maxValueBytes), unlimited(quota.requestsPerSecond)],
  ]);
}
