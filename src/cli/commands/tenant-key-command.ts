// `dsv tenant key set|status|revoke`: tenant-held keys (I-K6) through /v2/sys/tenant-key. The tenant's data keys
// are wrapped under a key in its own KMS, then each node's KEK; every node needs a `tenantKeks` entry in its
// config for the key (how that node reaches the KMS, with its own credentials).
import type { Command } from 'commander';
import { clientFor, withConnection, type ConnectionOptions } from '../client/connection.ts';
import { action, printJson } from '../client/output.ts';

interface TenantKeyStatus {
  tenant: string;
  key: {
    provider: string;
    keyRef: string;
    setAt: string;
    setBy: string;
    revoked: boolean;
    revokedAt: string | null;
    revokedBy: string | null;
  } | null;
  usable: boolean;
  error: { code: string; reason?: string } | null;
  layers: { tenantKey: Record<string, number>; nodeKekOnly: number };
}
type Answer = { tenantKey: TenantKeyStatus; confirmedNodes: string[] };
type TenantOptions = ConnectionOptions & { tenant?: string };

function printStatus(status: TenantKeyStatus): void {
  const key = status.key;
  console.log(`tenant    ${status.tenant}`);
  if (key === null) {
    console.log('key       none (data keys under the node KEK only)');
  } else {
    console.log(`key       ${key.provider} ${key.keyRef}`);
    console.log(`set       ${key.setAt} by ${key.setBy}`);
    if (key.revoked) console.log(`revoked   ${key.revokedAt ?? '?'} by ${key.revokedBy ?? '?'}`);
  }
  const error = status.error;
  console.log(
    `usable    ${status.usable ? 'yes' : `no: ${error?.code ?? '?'}${error?.reason ? ` (${error.reason})` : ''}`}`,
  );
  const layers = Object.entries(status.layers.tenantKey).map(([ref, n]) => `${n} under ${ref}`);
  console.log(`data keys ${[...layers, `${status.layers.nodeKekOnly} under the node KEK only`].join(', ')}`);
}

export function registerTenantKeyCommand(tenant: Command): void {
  const key = tenant
    .command('key')
    .description("tenant-held keys: the tenant's data keys wrapped under a key in its own KMS");

  withConnection(
    key
      .command('set')
      .description(
        "register or change the tenant's key (tenant admin or root); every node needs a tenantKeks entry",
      )
      .requiredOption('--provider <provider>', 'aws-kms, pkcs11, kmip or local')
      .requiredOption('--ref <keyRef>', "the key's name at the provider (key ARN or id, label, UID…)")
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (options: TenantOptions & { provider: string; ref: string }) => {
      const body = await clientFor(options).json<Answer>('PUT', '/v2/sys/tenant-key', {
        query: { tenant: options.tenant },
        json: { provider: options.provider, keyRef: options.ref },
      });
      if (options.json) return printJson(body);
      printStatus(body.tenantKey);
      console.log(`confirmed ${body.confirmedNodes.join(', ')}`);
    }),
  );

  withConnection(
    key
      .command('status')
      .description("the tenant's key, whether the answering node can use it, data keys per layer")
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (options: TenantOptions) => {
      const body = await clientFor(options).json<TenantKeyStatus>('GET', '/v2/sys/tenant-key', {
        query: { tenant: options.tenant },
      });
      if (options.json) return printJson(body);
      printStatus(body);
    }),
  );

  withConnection(
    key
      .command('revoke')
      .description(
        "revoke the tenant's key through DSV: every node destroys the tenant's data keys and shards, for good " +
          '(refused while a retention hold is in force)',
      )
      .option('--yes', 'confirm: this cannot be undone')
      .option('--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"),
  ).action(
    action(async (options: TenantOptions & { yes?: boolean }) => {
      if (!options.yes) {
        console.error('refusing to revoke the tenant key without --yes: the data under it is destroyed');
        process.exit(2);
      }
      const body = await clientFor(options).json<Answer>('DELETE', '/v2/sys/tenant-key', {
        query: { tenant: options.tenant },
      });
      if (options.json) return printJson(body);
      printStatus(body.tenantKey);
      console.log(`confirmed ${body.confirmedNodes.join(', ')}`);
    }),
  );
}
