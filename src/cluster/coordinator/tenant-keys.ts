// Tenant-held keys through the log (I-K6, I-K7): registering a tenant's own KMS key and revoking it through DSV
// are authority records on the tenant's partition (k endorsements that each check the caller, a rid applied
// once), so neither one node nor a log writer can point a tenant at a key it controls. The state machine
// decides; this file checks what it can before publishing, appends and reports.
import type { Caller } from '../../control/index.ts';
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { TenantKeyRecord } from '../../view/index.ts';
import { appendAuthority } from './authority-append.ts';
import { awaitEverywhere, partitionOf, type CoordinatorContext } from './coordinator-context.ts';
import { holdAgainstShred } from './retention-holds.ts';

/** What this node can do with tenants' own KMS keys (the keys context, wired by the composition root). */
export interface TenantKeyAccess {
  /** Per request on the DEK path (I-K7): DSV_TENANT_KEY_UNAVAILABLE / _REVOKED when the tenant's key fails. */
  check(tenant: string): Promise<void>;
  /** This node reaches the key through its own config and it round-trips a test value (before recording). */
  probe(tenant: string, provider: string, keyRef: string): Promise<void>;
  /** This node's live DEKs of the tenant per layer: under a tenant key (by ref) or the node KEK alone. */
  layers(tenant: string): {
    readonly tenantKey: Readonly<Record<string, number>>;
    readonly nodeKekOnly: number;
  };
}

export interface TenantKeyRequest {
  readonly tenant: string;
  readonly provider: 'aws-kms' | 'pkcs11' | 'kmip' | 'local';
  readonly keyRef: string;
}

export interface TenantKeyStatus {
  readonly tenant: string;
  /** The registered key as the log decided it; null when the tenant never set one. */
  readonly key: TenantKeyRecord | null;
  /** Whether THIS node can use the key now (I-K7), and if not, the error code and reason. */
  readonly usable: boolean;
  readonly error: { readonly code: string; readonly reason?: string } | null;
  readonly layers: ReturnType<TenantKeyAccess['layers']>;
}

export interface TenantKeyOutcome {
  readonly status: TenantKeyStatus;
  /** Nodes that confirmed they applied the record (this one included). */
  readonly confirmedNodes: string[];
}

async function caughtUp(context: CoordinatorContext, tenant: string): Promise<number> {
  const partition = partitionOf(context, tenant);
  await context.applier.catchUp(partition, context.timeouts.applyMs);
  if (context.view.isShredded(tenant)) throw new DsvError('DSV_TENANT_SHREDDED');
  return partition;
}

/**
 * Per request, before any DEK is used for `tenant` (I-K7): a tenant whose key DSV revoked answers 410, a
 * tenant whose KMS refuses or cannot be reached answers 503 DSV_TENANT_KEY_UNAVAILABLE; other tenants pass
 * without touching any KMS.
 */
export async function checkTenantKey(context: CoordinatorContext, tenant: string): Promise<void> {
  if (context.view.tenantKey(tenant)?.revoked) throw new DsvError('DSV_TENANT_KEY_REVOKED');
  await context.tenantKeys?.check(tenant);
}

export async function setTenantKey(
  context: CoordinatorContext,
  request: TenantKeyRequest,
  caller: Caller,
): Promise<TenantKeyOutcome> {
  const partition = await caughtUp(context, request.tenant);
  if (context.view.tenantKey(request.tenant)?.revoked) throw new DsvError('DSV_TENANT_KEY_REVOKED');
  if (context.tenantKeys === undefined) {
    throw new DsvError('DSV_TENANT_KEY_UNKNOWN', 'This node has no keyring for tenant keys');
  }
  // Before anything is recorded: this node reaches the key and it works, so a typo never locks a tenant out.
  await context.tenantKeys.probe(request.tenant, request.provider, request.keyRef);
  const offset = await appendAuthority(
    context,
    partition,
    { type: 'tenant-key-set', time: Date.now(), by: caller.accessor, ...request },
    caller,
  );
  const key = context.view.tenantKey(request.tenant);
  // Not recorded: revoked or shredded between the check and the record.
  if (key?.keyRef !== request.keyRef || key.provider !== request.provider || key.revoked) {
    throw new DsvError(key?.revoked ? 'DSV_TENANT_KEY_REVOKED' : 'DSV_TENANT_SHREDDED');
  }
  const confirmedNodes = await awaitEverywhere(context, partition, offset);
  return { status: await tenantKeyStatus(context, request.tenant), confirmedNodes };
}

/** Revokes through DSV: the tenant's data under DSV is destroyed on every node (refused while a hold is on). */
export async function revokeTenantKey(
  context: CoordinatorContext,
  tenant: string,
  caller: Caller,
): Promise<TenantKeyOutcome> {
  const partition = await caughtUp(context, tenant);
  const key = context.view.tenantKey(tenant);
  if (key === undefined) throw new DsvError('DSV_TENANT_KEY_NOT_SET');
  if (key.revoked) throw new DsvError('DSV_TENANT_KEY_REVOKED');
  const hold = await holdAgainstShred(context, tenant);
  if (hold) throw retentionHold(hold.holdId);
  const offset = await appendAuthority(
    context,
    partition,
    { type: 'tenant-key-revoke', tenant, time: Date.now(), by: caller.accessor },
    caller,
  );
  // A hold placed between the check and the record: every node refused the revocation.
  if (!context.view.tenantKey(tenant)?.revoked) throw retentionHold();
  const confirmedNodes = await awaitEverywhere(context, partition, offset);
  return { status: await tenantKeyStatus(context, tenant), confirmedNodes };
}

function retentionHold(holdId?: string): DsvError {
  return new DsvError(
    'DSV_RETENTION_HOLD',
    'A retention hold is in force in this tenant: its key cannot be revoked through DSV',
    holdId === undefined ? {} : { details: { holdId } },
  );
}

export async function tenantKeyStatus(context: CoordinatorContext, tenant: string): Promise<TenantKeyStatus> {
  await caughtUp(context, tenant);
  const key = context.view.tenantKey(tenant) ?? null;
  let error: TenantKeyStatus['error'] = null;
  try {
    await checkTenantKey(context, tenant);
  } catch (caught) {
    if (!isDsvError(caught)) throw caught;
    const reason = (caught.details as { reason?: unknown } | undefined)?.reason;
    error = { code: caught.code, ...(typeof reason === 'string' ? { reason } : {}) };
  }
  return {
    tenant,
    key,
    usable: error === null,
    error,
    layers: context.tenantKeys?.layers(tenant) ?? { tenantKey: {}, nodeKekOnly: 0 },
  };
}
