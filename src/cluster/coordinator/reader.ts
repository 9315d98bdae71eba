// Read protocol (DESIGN §7): catch up to the log's end (strong reads), resolve the version from the view,
// fetch and combine shards, and schedule read repair for a latest-version read that found too few shards.
import type { Caller } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { SecretKey } from '../../secrets/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import type { BatchOp, BatchOpResult } from './batch-types.ts';
import { partitionOf, type CoordinatorContext } from './coordinator-context.ts';
import { fetchVersionValue } from './shard-fetch.ts';
import { checkTenantKey } from './tenant-keys.ts';

export type VersionSelector =
  { readonly version: number } | { readonly asOf: number } | { readonly latest: true };

export interface SecretVersionValue extends VersionInfo {
  readonly value: Uint8Array;
}

/** Strong read: apply everything appended before now; a shredded tenant answers a stable 410 (DESIGN §8). */
export async function catchUp(context: CoordinatorContext, tenant: string): Promise<void> {
  await context.applier.catchUp(partitionOf(context, tenant), context.timeouts.applyMs);
  if (context.view.isShredded(tenant)) throw new DsvError('DSV_TENANT_SHREDDED');
}

/** Resolves a version from the local view (after catch-up); undefined when there is none. */
export function resolveVersion(
  context: CoordinatorContext,
  key: SecretKey,
  selector: VersionSelector,
): VersionInfo | undefined {
  const state = context.view.key(key);
  if (!state?.live) return undefined;
  if ('version' in selector) return context.view.version(key, selector.version);
  if ('asOf' in selector) return context.view.versionAt(key, selector.asOf);
  return context.view.version(key, state.latestVersion);
}

export async function readSecret(
  context: CoordinatorContext,
  key: SecretKey,
  selector: VersionSelector,
  caller: Caller,
): Promise<SecretVersionValue> {
  await catchUp(context, key.tenant);
  await checkTenantKey(context, key.tenant); // I-K7: the tenant's own KMS, per request
  const info = resolveVersion(context, key, selector);
  if (!info) throw new DsvError('DSV_SECRET_NOT_FOUND');
  return { ...info, value: await readVersionValue(context, key, info, caller) };
}

/**
 * Fetches one version's value for `caller`. Read repair is the holders' own: a holder asked for a shard it
 * lacks recovers it without anyone reconstructing the value (design 2026-12-02 §7), so nothing here re-splits.
 */
export async function readVersionValue(
  context: CoordinatorContext,
  key: SecretKey,
  info: VersionInfo,
  caller: Caller,
): Promise<Uint8Array> {
  return (await fetchVersionValue(context, key, info, { caller, purpose: 'read' })).value;
}

/** Every version of a secret, oldest first, with values (v1 `/all`). */
export async function readAllVersions(
  context: CoordinatorContext,
  key: SecretKey,
  caller: Caller,
): Promise<SecretVersionValue[]> {
  await catchUp(context, key.tenant);
  await checkTenantKey(context, key.tenant); // I-K7
  const versions = context.view.key(key)?.live ? context.view.versions(key) : [];
  if (versions.length === 0) throw new DsvError('DSV_SECRET_NOT_FOUND');
  return Promise.all(
    versions.map(async (info) => ({ ...info, value: await readVersionValue(context, key, info, caller) })),
  );
}

/** Version metadata only (no shard is touched). */
export async function readHistory(context: CoordinatorContext, key: SecretKey): Promise<VersionInfo[]> {
  await catchUp(context, key.tenant);
  const versions = context.view.key(key)?.live ? context.view.versions(key) : [];
  if (versions.length === 0) throw new DsvError('DSV_SECRET_NOT_FOUND');
  return versions;
}

/** A batch of reads only: resolved together after one catch-up, so they form one consistent snapshot. */
export async function readSnapshot(
  context: CoordinatorContext,
  tenant: string,
  ops: readonly BatchOp[],
  caller: Caller,
): Promise<BatchOpResult[]> {
  await catchUp(context, tenant);
  const resolved = ops.map((op, opIndex) => {
    const key = { tenant, namespace: op.namespace, name: op.name };
    const info = resolveVersion(
      context,
      key,
      op.op === 'read' && op.version !== undefined ? { version: op.version } : { latest: true },
    );
    if (!info) throw new DsvError('DSV_SECRET_NOT_FOUND', undefined, { details: { opIndex } });
    return { key, info };
  });
  return Promise.all(
    resolved.map(async ({ key, info }) => ({
      version: info.version,
      value: await readVersionValue(context, key, info, caller),
    })),
  );
}
