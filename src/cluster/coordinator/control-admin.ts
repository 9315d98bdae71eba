// Control-plane commands through the control partition (DESIGN §5): tenants, tokens, policies. Each waits
// until this node applied it; a revocation also waits for every reachable node, so a revoked token is refused
// everywhere once the call returns.
import type { ControlEntry, PolicyRule } from '../../control/control-entry.ts';
import { hashToken, newAccessor, newToken } from '../../control/tokens.ts';
import { DsvError } from '../../errors/index.ts';
import { appendAndApply, awaitEverywhere, type CoordinatorContext } from './coordinator-context.ts';

export const controlPartition = (context: CoordinatorContext): number => context.log.partitionCount - 1;

async function append(
  context: CoordinatorContext,
  entry: ControlEntry,
  everywhere = false,
): Promise<string[]> {
  const partition = controlPartition(context);
  const offset = await appendAndApply(context, partition, entry);
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

export async function createTenant(context: CoordinatorContext, tenant: string): Promise<void> {
  await append(context, { type: 'tenant-create', tenant, time: Date.now() });
}

export async function createToken(
  context: CoordinatorContext,
  options: { tenant: string | null; policies: readonly string[]; ttlMs?: number; displayName?: string },
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
      tokenHash: hashToken(token),
      tenant: options.tenant,
      policies: options.policies,
      displayName: options.displayName ?? '',
      expiresAt,
      time,
    },
    true,
  );
  const stored = context.control?.tokenByAccessor(accessor);
  if (!stored) throw new DsvError('DSV_INPUT_INVALID', 'The token was not created: unknown tenant');
  return { token, accessor, tenant: options.tenant, policies: options.policies, expiresAt };
}

export async function revokeToken(context: CoordinatorContext, accessor: string): Promise<string[]> {
  return append(context, { type: 'token-revoke', accessor, time: Date.now() }, true);
}

export async function putPolicy(
  context: CoordinatorContext,
  tenant: string,
  name: string,
  rules: readonly PolicyRule[],
): Promise<void> {
  await append(context, { type: 'policy-put', tenant, name, rules, time: Date.now() }, true);
}

export async function deletePolicy(context: CoordinatorContext, tenant: string, name: string): Promise<void> {
  await append(context, { type: 'policy-delete', tenant, name, time: Date.now() }, true);
}
