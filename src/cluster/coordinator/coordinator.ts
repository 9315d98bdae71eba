// The coordinator facade the gateway talks to: writes, reads, history and listing for one node.
import type { ApprovalRecord, Caller, ControlStore, Endorsement, PolicyRule } from '../../control/index.ts';
import type { CommitShard, SecretKey } from '../../secrets/index.ts';
import {
  abortClientWrite,
  clientWriteStatus,
  commitClientWrite,
  orderClientWrite,
  prepareClientWrite,
  resolveForClient,
  type ClientWriteOp,
  type ClientWriteStatus,
  type OrderedClientWrite,
  type PreparedClientWrite,
  type ResolvedVersion,
} from './client-side-write.ts';
import type { VersionInfo } from '../../view/index.ts';
import type { BatchOp, BatchOpResult, BatchOptions } from './batch-types.ts';
import { executeBatch, scopedIdempotencyKey } from './batch-writer.ts';
import { rotateTenantKeys, setTenantQuota, shredTenant, type AdminOutcome } from './tenant-admin.ts';
import type { TenantQuota } from '../../view/index.ts';
import {
  createTenant,
  createToken,
  deletePolicy,
  putPolicy,
  revokeToken,
  type CreatedToken,
  type TokenRequest,
} from './control-admin.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { RefreshJobs, type RefreshProgress, type RefreshStatus } from './share-refresh-jobs.ts';
import { shardRedundancy, type SecretRedundancy } from './shard-redundancy.ts';
import {
  findHold,
  listHolds,
  placeHold,
  releaseHold,
  type HoldOutcome,
  type HoldRequest,
} from './retention-holds.ts';
import type { HoldRecord } from '../../view/index.ts';
import {
  bootstrapTenantAdmin,
  findApproval,
  grantApproval,
  listApprovals,
  revokeApproval,
  type ApprovalOutcome,
  type ApprovalRequest,
  type BootstrappedAdmin,
} from './approvals.ts';
import {
  checkTenantKey,
  revokeTenantKey,
  setTenantKey,
  tenantKeyStatus,
  type TenantKeyOutcome,
  type TenantKeyRequest,
  type TenantKeyStatus,
} from './tenant-keys.ts';
import {
  catchUp,
  readAllVersions,
  readHistory,
  readSecret,
  type SecretVersionValue,
  type VersionSelector,
} from './reader.ts';

/**
 * Capacity limits (I-C5): throws (DSV_DISK_FULL) when this node may not take a write that adds data. Called
 * before anything is published; reads, deletes, revocations, policy deletes, quotas and shreds skip it — they
 * free space, or must work on a full node.
 */
export type WriteAdmission = () => Promise<void>;

/** The control view's read side, as the gateway's admin and console routes need it (never its writes). */
export type ControlQueries = Pick<
  ControlStore,
  'tenants' | 'tenantExists' | 'tokenByAccessor' | 'tokens' | 'policy' | 'policies'
>;

export class Coordinator {
  readonly context: CoordinatorContext;
  private readonly admitWrite: WriteAdmission;
  private readonly refreshJobs: RefreshJobs;

  constructor(context: CoordinatorContext, admitWrite: WriteAdmission = async () => undefined) {
    this.context = context;
    this.admitWrite = admitWrite;
    this.refreshJobs = new RefreshJobs(context);
  }

  /**
   * Proactive share refresh (I-R1): refreshes every version of the tenant once, in the background on this
   * node; answers the run's progress at once (the caller is an admin: the gateway checked).
   */
  refreshShares(tenant: string): Promise<RefreshProgress> {
    return this.refreshJobs.start(tenant);
  }

  /** Versions per share generation, per tenant, with this node's run of each. */
  refreshStatus(tenant?: string): Promise<RefreshStatus[]> {
    return this.refreshJobs.status(tenant);
  }

  /** The node is stopping: no new refresh starts (one under way completes or times out in log time). */
  stopRefreshing(): void {
    this.refreshJobs.close();
  }

  async batch(tenant: string, ops: readonly BatchOp[], options: BatchOptions): Promise<BatchOpResult[]> {
    if (ops.some((op) => op.op === 'create' || op.op === 'update')) await this.admitWrite();
    // I-K7: writes and reads need the tenant's own KMS key; deletes do not (they destroy, never decrypt).
    if (ops.some((op) => op.op !== 'delete')) await checkTenantKey(this.context, tenant);
    return executeBatch(this.context, tenant, ops, options);
  }

  async write(tenant: string, op: BatchOp, options: BatchOptions): Promise<BatchOpResult> {
    const [result] = await this.batch(tenant, [op], options);
    return result ?? { version: 0 };
  }

  read(key: SecretKey, selector: VersionSelector, caller: Caller): Promise<SecretVersionValue> {
    return readSecret(this.context, key, selector, caller);
  }

  readAll(key: SecretKey, caller: Caller): Promise<SecretVersionValue[]> {
    return readAllVersions(this.context, key, caller);
  }

  history(key: SecretKey): Promise<VersionInfo[]> {
    return readHistory(this.context, key);
  }

  async rotateKeys(caller: Caller, tenant?: string): Promise<AdminOutcome[]> {
    await this.admitWrite();
    return rotateTenantKeys(this.context, caller, tenant);
  }

  setQuota(tenant: string, quota: TenantQuota, caller: Caller): Promise<AdminOutcome> {
    return setTenantQuota(this.context, tenant, quota, caller);
  }

  async createTenant(tenant: string, caller: Caller): Promise<void> {
    await this.admitWrite();
    return createTenant(this.context, tenant, caller);
  }

  async createToken(options: TokenRequest, caller: Caller): Promise<CreatedToken> {
    await this.admitWrite();
    return createToken(this.context, options, caller);
  }

  revokeToken(accessor: string, caller: Caller): Promise<string[]> {
    return revokeToken(this.context, accessor, caller);
  }

  async putPolicy(tenant: string, name: string, rules: readonly PolicyRule[], caller: Caller): Promise<void> {
    await this.admitWrite();
    return putPolicy(this.context, tenant, name, rules, caller);
  }

  deletePolicy(tenant: string, name: string, caller: Caller): Promise<void> {
    return deletePolicy(this.context, tenant, name, caller);
  }

  shredTenant(tenant: string, caller: Caller): Promise<AdminOutcome> {
    return shredTenant(this.context, tenant, caller);
  }

  /** I-T4: the tenant admin lets a root token reach part of its secrets for a while (an endorsed record). */
  grantApproval(request: ApprovalRequest, caller: Caller): Promise<ApprovalOutcome> {
    return grantApproval(this.context, request, caller);
  }

  revokeApproval(approval: ApprovalRecord, caller: Caller): Promise<ApprovalOutcome> {
    return revokeApproval(this.context, approval, caller);
  }

  listApprovals(tenant: string): Promise<ApprovalRecord[]> {
    return listApprovals(this.context, tenant);
  }

  findApproval(tenant: string, approvalId: string): Promise<ApprovalRecord | undefined> {
    return findApproval(this.context, tenant, approvalId);
  }

  /** I-T4 bootstrap: root names a tenant's first admin once, from verifiers only. */
  async bootstrapTenantAdmin(
    tenant: string,
    verifiers: Readonly<Record<string, string>>,
    displayName: string,
    caller: Caller,
  ): Promise<BootstrappedAdmin> {
    await this.admitWrite();
    return bootstrapTenantAdmin(this.context, tenant, verifiers, displayName, caller);
  }

  placeHold(request: HoldRequest, caller: Caller): Promise<HoldOutcome> {
    return placeHold(this.context, request, caller);
  }

  findHold(tenant: string, holdId: string): Promise<HoldRecord | undefined> {
    return findHold(this.context, tenant, holdId);
  }

  releaseHold(hold: HoldRecord, caller: Caller): Promise<HoldOutcome> {
    return releaseHold(this.context, hold, caller);
  }

  listHolds(tenant: string, includeReleased: boolean): Promise<HoldRecord[]> {
    return listHolds(this.context, tenant, includeReleased);
  }

  /** Tenant-held keys (I-K6): register or change the tenant's own KMS key (an endorsed record). */
  setTenantKey(request: TenantKeyRequest, caller: Caller): Promise<TenantKeyOutcome> {
    return setTenantKey(this.context, request, caller);
  }

  /** Revokes the tenant's key through DSV: its data is destroyed on every node, unless a hold is on. */
  revokeTenantKey(tenant: string, caller: Caller): Promise<TenantKeyOutcome> {
    return revokeTenantKey(this.context, tenant, caller);
  }

  tenantKeyStatus(tenant: string): Promise<TenantKeyStatus> {
    return tenantKeyStatus(this.context, tenant);
  }

  /** Whether this caller's idempotency key for these targets already ordered a write (as the log scoped it). */
  idempotencyKeySeen(
    caller: Caller,
    tenant: string,
    key: string,
    targets: ReadonlyArray<{ namespace: string; name: string }>,
  ): boolean {
    return (
      this.context.view.idempotentWrite(tenant, scopedIdempotencyKey(caller, key, targets)) !== undefined
    );
  }

  /** The control view, read-only; undefined on a node without the control plane. */
  get control(): ControlQueries | undefined {
    return this.context.control;
  }

  isShredded(tenant: string): boolean {
    return this.context.view.isShredded(tenant);
  }

  quota(tenant: string): TenantQuota {
    return this.context.view.quota(tenant);
  }

  /** Whether the local view has a live secret at `key` (a hint only: the log decides, DESIGN §9). */
  isLive(key: SecretKey): boolean {
    return this.context.view.key(key)?.live === true;
  }

  /** Which nodes hold a shard of each version of `key`, as far as this node can tell (console). */
  redundancy(key: SecretKey): Promise<SecretRedundancy> {
    return shardRedundancy(this.context, key);
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

  /** Namespaces of the tenant holding a live secret, ascending (the caller filters what it may list). */
  async namespaces(tenant: string, prefix: string, after: string, limit: number): Promise<string[]> {
    await catchUp(this.context, tenant);
    return this.context.view.namespaces(tenant, prefix, after, limit);
  }

  /** Client-side mode (issue #9), step 1: the intent the client takes to its endorsers. */
  async prepareClientWrite(
    tenant: string,
    ops: readonly ClientWriteOp[],
    options: { readonly caller: Caller; readonly idempotencyKey?: string },
  ): Promise<PreparedClientWrite> {
    await this.admitWrite();
    return prepareClientWrite(this.context, tenant, ops, options);
  }

  /** Client-side mode, step 2: the endorsed intent is appended; the log's verdict and the placement. */
  orderClientWrite(
    caller: Caller,
    writeId: string,
    endorsements: readonly Endorsement[],
  ): Promise<OrderedClientWrite> {
    return orderClientWrite(this.context, caller, writeId, endorsements);
  }

  commitClientWrite(
    caller: Caller,
    writeId: string,
    receipts: readonly CommitShard[],
    unchanged: readonly number[],
  ): Promise<BatchOpResult[]> {
    return commitClientWrite(this.context, caller, writeId, receipts, unchanged);
  }

  /** A client-side write's outcome in this node's view, for the client's check at a second node. */
  clientWriteStatus(caller: Caller, writeId: string): Promise<ClientWriteStatus> {
    return clientWriteStatus(this.context, caller, writeId);
  }

  abortClientWrite(caller: Caller, writeId: string): Promise<void> {
    return abortClientWrite(this.context, caller, writeId);
  }

  /** Client-side read, step 1: the version, its write id and its holders' commitments; never the value. */
  resolveForClient(key: SecretKey, selector: VersionSelector): Promise<ResolvedVersion> {
    return resolveForClient(this.context, key, selector);
  }

  /** This node's id (a client-side endorsement names its signer). */
  get nodeId(): string {
    return this.context.nodeId;
  }

  /** The cluster's id and sharing parameters: a client derives per-holder credentials from them (I-G3). */
  get sharing(): { readonly clusterId: string; readonly n: number; readonly k: number; readonly w: number } {
    const { n, k, w } = this.context.params;
    return { clusterId: this.context.trust.manifest.clusterId, n, k, w };
  }
}
