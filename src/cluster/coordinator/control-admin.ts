// Control-plane commands through the control partition (DESIGN §5): tenants, tokens, policies. Each waits
// until this node applied it; a revocation also waits for every reachable node, so a revoked token is refused
// everywhere once the call returns.
import {
  newAccessor,
  newToken,
  type Caller,
  type ControlEntry,
  type PolicyRule,
} from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import { tokenVerifiers } from '../../trust/index.ts';
import { controlPartitionOf } from '../placement.ts';
import { appendAuthority } from './authority-append.ts';
import { awaitEverywhere, partitionOf, type CoordinatorContext } from './coordinator-context.ts';

export const controlPartition = (context: CoordinatorContext): number =>
  controlPartitionOf(context.log.partitionCount);

type ControlBody = ControlEntry extends infer T
  ? T extends ControlEntry
    ? Omit<T, 'rid' | 'endorsements'>
    : never
  : never;

async function append(
  context: CoordinatorContext,
  entry: ControlBody,
  caller: Caller,
  everywhere = false,
): Promise<string[]> {
  const partition = controlPartition(context);
  const offset = await appendAuthority(context, partition, entry, caller);
  if (!everywhere) return [context.nodeId];
  // A node unreachable now applies the record before it authenticates anything (control catch-up).
  return awaitEverywhere(context, partition, offset);
}

export interface CreatedToken {
  readonly token: string;
  readonly accessor: string;
  readonly tenant: string | null;
  readonly policies: readonly string[];
  readonly expiresAt: number | null;
}

export async function createTenant(
  context: CoordinatorContext,
  tenant: string,
  caller: Caller,
): Promise<void> {
  // A crypto-shredded tenant's name stays taken (its keys are gone): "created" would be a 201 for a tenant
  // that refuses every write. The tenant's own partition says whether it was shredded, before the record
  // and again after it: the shred is ordered on another partition than the create (I-X1), so a shred racing
  // this create is caught by the second look, and the caller is told 410 rather than 201.
  const shredded = async (): Promise<boolean> => {
    await context.applier.catchUp(partitionOf(context, tenant), context.timeouts.applyMs);
    return context.view.isShredded(tenant);
  };
  if (await shredded()) throw new DsvError('DSV_TENANT_SHREDDED');
  await append(context, { type: 'tenant-create', tenant, time: Date.now() }, caller);
  if (await shredded()) throw new DsvError('DSV_TENANT_SHREDDED');
}

export interface TokenRequest {
  readonly tenant: string | null;
  readonly policies: readonly string[];
  readonly ttlMs?: number;
  readonly displayName?: string;
}

export async function createToken(
  context: CoordinatorContext,
  options: TokenRequest,
  caller: Caller,
): Promise<CreatedToken> {
  const token = newToken();
  const accessor = newAccessor();
  const time = Date.now();
  const expiresAt = options.ttlMs === undefined ? null : time + options.ttlMs;
  await append(
    context,
    {
      type: 'token-create',
      accessor,
      // One verifier per node (I-G3): each node can check the token, none can forward it to another.
      verifiers: tokenVerifiers(token, context.trust.manifest.clusterId, context.params.nodeIds),
      creator: caller.accessor,
      tenant: options.tenant,
      policies: options.policies,
      displayName: options.displayName ?? '',
      expiresAt,
      time,
    },
    caller,
    true,
  );
  const stored = context.control?.tokenByAccessor(accessor);
  if (!stored) throw new DsvError('DSV_INPUT_INVALID', 'The token was not created: unknown tenant');
  // The stored expiry: a child is capped at its creator's (I-T5).
  return { token, accessor, tenant: options.tenant, policies: options.policies, expiresAt: stored.expiresAt };
}

export async function revokeToken(
  context: CoordinatorContext,
  accessor: string,
  caller: Caller,
): Promise<string[]> {
  return append(context, { type: 'token-revoke', accessor, time: Date.now() }, caller, true);
}

export async function putPolicy(
  context: CoordinatorContext,
  tenant: string,
  name: string,
  rules: readonly PolicyRule[],
  caller: Caller,
): Promise<void> {
  await append(context, { type: 'policy-put', tenant, name, rules, time: Date.now() }, caller, true);
}

export async function deletePolicy(
  context: CoordinatorContext,
  tenant: string,
  name: string,
  caller: Caller,
): Promise<void> {
  await append(context, { type: 'policy-delete', tenant, name, time: Date.now() }, caller, true);
}
