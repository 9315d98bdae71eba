// The coordinator facade the gateway talks to: writes, reads, history and listing for one node.
import type { SecretKey } from '../../secrets/index.ts';
import type { VersionInfo } from '../../view/index.ts';
import type { BatchOp, BatchOpResult, BatchOptions } from './batch-types.ts';
import { executeBatch } from './batch-writer.ts';
import { rotateTenantKeys, setTenantQuota, shredTenant, type AdminOutcome } from './tenant-admin.ts';
import type { TenantQuota } from '../../view/index.ts';
import {
  createTenant,
  createToken,
  deletePolicy,
  putPolicy,
  revokeToken,
  type CreatedToken,
} from './control-admin.ts';
import type { PolicyRule } from '../../control/control-entry.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import {
  catchUp,
  readAllVersions,
  readHistory,
  readSecret,
  type SecretVersionValue,
  type VersionSelector,
} from './reader.ts';

export class Coordinator {
  readonly context: CoordinatorContext;

  constructor(context: CoordinatorContext) {
    this.context = context;
  }

  batch(tenant: string, ops: readonly BatchOp[], options: BatchOptions = {}): Promise<BatchOpResult[]> {
    return executeBatch(this.context, tenant, ops, options);
  }

  async write(tenant: string, op: BatchOp, options: BatchOptions = {}): Promise<BatchOpResult> {
    const [result] = await executeBatch(this.context, tenant, [op], options);
    return result ?? { version: 0 };
  }

  read(key: SecretKey, selector: VersionSelector): Promise<SecretVersionValue> {
    return readSecret(this.context, key, selector);
  }

  readAll(key: SecretKey): Promise<SecretVersionValue[]> {
    return readAllVersions(this.context, key);
  }

  history(key: SecretKey): Promise<VersionInfo[]> {
    return readHistory(this.context, key);
  }

  rotateKeys(tenant?: string): Promise<AdminOutcome[]> {
    return rotateTenantKeys(this.context, tenant);
  }

  setQuota(tenant: string, quota: TenantQuota): Promise<AdminOutcome> {
    return setTenantQuota(this.context, tenant, quota);
  }

  createTenant(tenant: string): Promise<void> {
    return createTenant(this.context, tenant);
  }

  createToken(options: {
    tenant: string | null;
    policies: readonly string[];
    ttlMs?: number;
    displayName?: string;
  }): Promise<CreatedToken> {
    return createToken(this.context, options);
  }

  revokeToken(accessor: string): Promise<string[]> {
    return revokeToken(this.context, accessor);
  }

  putPolicy(tenant: string, name: string, rules: readonly PolicyRule[]): Promise<void> {
    return putPolicy(this.context, tenant, name, rules);
  }

  deletePolicy(tenant: string, name: string): Promise<void> {
    return deletePolicy(this.context, tenant, name);
  }

  shredTenant(tenant: string): Promise<AdminOutcome> {
    return shredTenant(this.context, tenant);
  }

  async list(
    tenant: string,
    namespace: string,
    prefix: string,
    after: string,
    limit: number,
  ): Promise<string[]> {
    await catchUp(this.context, tenant);
    return this.context.view.names(tenant, namespace, prefix, after, limit);
  }
}
