// The deterministic state machine (DESIGN §5): applies one log entry to the view and the shard store.
// I-X1: it reads only the entry and the view (a function of the log prefix) — never a clock, never the node.
import type { ControlEntry } from '../control/index.ts';
import type { ShardStore } from '../shards/index.ts';
import type { PlannedOp, RejectionCode, ViewStore } from '../view/index.ts';
import type {
  AbortEntry,
  CommitEntry,
  HoldPlaceEntry,
  HoldReleaseEntry,
  TenantKeyRevokeEntry,
  TenantKeySetEntry,
  IntentEntry,
  LogEntry,
  SecretKey,
  ShareRestoredEntry,
  SignedEntry,
} from './log-entry.ts';
import type { DecodedRecord } from './log-codec.ts';
import type { RecordAuthority } from './record-authority.ts';
import { DEFAULT_REFRESH_LIMITS, RefreshMachine, type RefreshLimits } from './refresh-machine.ts';

export type ShardEffects = Pick<
  ShardStore,
  | 'promote'
  | 'discardStaged'
  | 'destroyKey'
  | 'destroyVersionExcept'
  | 'destroyTenant'
  | 'promoteGeneration'
  | 'discardGeneration'
>;

/** The node's keyring, as far as applying a record touches it (crypto-shred is synchronous on purpose). */
export interface KeyEffects {
  destroyTenantKeys(tenant: string): void;
}

/** Control-plane records (tenants, tokens, policies) are applied by the control context, same transaction. */
export interface ControlEffects {
  apply(entry: ControlEntry, logTime: number): void;
}

export interface StateMachineOptions {
  /** A pending write older than this in log time is aborted by every node (DESIGN §5). */
  readonly pendingTimeoutMs: number;
  readonly keys?: KeyEffects;
  readonly control?: ControlEffects;
  /**
   * Decides which signed records may take effect (I-T3). Every node passes one; only unit tests of the
   * state machine's own logic leave it out, and then every well-formed record counts.
   */
  readonly authority?: RecordAuthority;
  /** Proactive share refresh's log-time limits (I-R1); the same on every node. */
  readonly refresh?: RefreshLimits;
  /** Told once per refusal reason and record (I-L6: counted and logged, never a stall). */
  readonly onRefused?: (partition: number, offset: number, reason: string, signer?: string) => void;
}

/**
 * Records appended only to their tenant's partition (`partitionOf` in the coordinator). Not keys-rotate or
 * quota-set (appended to every partition) nor control records; refresh records check their own (I-R1).
 */
const HOME_PARTITION_RECORDS: ReadonlySet<LogEntry['type']> = new Set([
  'intent',
  'commit',
  'abort',
  'share-restored',
  'hold-place',
  'hold-release',
  'tenant-key-set',
  'tenant-key-revoke',
]);

const keyOf = (tenant: string, op: { namespace: string; name: string }): SecretKey => ({
  tenant,
  namespace: op.namespace,
  name: op.name,
});

export class SecretStateMachine {
  private readonly view: ViewStore;
  private readonly shards: ShardEffects;
  private readonly options: StateMachineOptions;
  private readonly refresh: RefreshMachine;

  constructor(view: ViewStore, shards: ShardEffects, options: StateMachineOptions) {
    this.view = view;
    this.shards = shards;
    this.options = options;
    const limits = options.refresh ?? DEFAULT_REFRESH_LIMITS;
    this.refresh = new RefreshMachine(view, shards, limits, options.authority);
  }

  /**
   * Applies the record at `offset`. Runs inside the caller's transaction with the offset update (I-V2).
   * Log time is the log's own append time (I-X4): no coordinator's clock, and no record body, can move it.
   */
  apply(partition: number, offset: number, record: DecodedRecord | undefined, timestamp = 0): void {
    const applied = this.view.applied(partition);
    const stamp = record && 'entry' in record ? record.timestamp : timestamp;
    const logTime = Math.max(applied.logTime, stamp);
    // Timeouts first: no commit is accepted once log time has passed its write's deadline.
    for (const writeId of this.view.pendingWritesBefore(partition, logTime - this.options.pendingTimeoutMs)) {
      this.abort(writeId, 'timeout');
    }
    this.refresh.expire(partition, logTime); // refreshes too (I-R1)
    if (record && 'entry' in record) this.applySigned(partition, offset, record, logTime);
    else if (record) this.refuse(partition, offset, record.rejected);
    this.view.setApplied(partition, offset + 1, logTime);
  }

  private refuse(partition: number, offset: number, reason: string, signer?: string): void {
    this.view.countRejected(reason);
    this.options.onRefused?.(partition, offset, reason, signer);
  }

  private applySigned(partition: number, offset: number, record: SignedEntry, logTime: number): void {
    // I-X1: a record that reads or changes one tenant's writes and versions counts only on that tenant's own
    // partition, and is refused before anything (a replay id included) is used up. Nodes apply partitions in
    // their own orders, so the same record on another partition could take effect before or after the
    // tenant's own records depending on the node (the red team's VULN-R4, a share-restored).
    const home = HOME_PARTITION_RECORDS.has(record.entry.type)
      ? this.options.refresh?.partitionOf?.((record.entry as { tenant: string }).tenant)
      : undefined;
    if (home !== undefined && home !== partition)
      return this.refuse(partition, offset, 'wrong-partition', record.signer);
    const refusal = this.options.authority?.refusal(partition, record.signer, record.entry);
    if (refusal !== undefined) return this.refuse(partition, offset, refusal, record.signer);
    const entry = record.entry;
    if (entry.type === 'commit' || entry.type === 'abort') {
      const write = this.view.write(entry.writeId);
      const notCoordinator = write && this.options.authority?.forWrite(partition, record.signer, write);
      if (notCoordinator) return this.refuse(partition, offset, notCoordinator, record.signer);
    }
    this.applyEntry(partition, offset, entry, logTime, record.signer);
  }

  private applyEntry(
    partition: number,
    offset: number,
    entry: LogEntry,
    logTime: number,
    signer: string,
  ): void {
    switch (entry.type) {
      case 'intent':
        return this.applyIntent(partition, offset, entry, logTime);
      case 'share-restored':
        return this.applyShareRestored(entry, signer);
      case 'node-revoke':
        return this.view.revokeNode(partition, entry.nodeId, logTime);
      case 'commit':
        return this.applyCommit(partition, offset, entry, logTime);
      case 'abort':
        return this.applyAbort(entry);
      case 'tick':
        return;
      case 'refresh-start':
      case 'refresh-commit':
      case 'refresh-abort':
        return this.refresh.apply(partition, offset, entry, signer, logTime, (reason) =>
          this.refuse(partition, offset, reason, signer),
        );
      case 'keys-rotate':
        // The record's own offset is the epoch: a seal on this node after applying it needs a newer DEK.
        if (!this.view.isShredded(entry.tenant)) this.view.setKeyEpoch(entry.tenant, offset + 1);
        return;
      case 'tenant-shred':
        // I-C2b: a hold in force anywhere in the tenant makes the shred a no-op on every node, counted.
        if (this.view.holdInTenant(entry.tenant, logTime)) {
          return this.refuse(partition, offset, 'retention-hold', signer);
        }
        return this.shred(entry.tenant, offset);
      case 'tenant-key-set':
        return this.applyTenantKeySet(partition, offset, entry, logTime, signer);
      case 'tenant-key-revoke':
        return this.applyTenantKeyRevoke(partition, offset, entry, logTime, signer);
      case 'hold-place':
        return this.applyHoldPlace(offset, entry, logTime);
      case 'hold-release':
        return this.applyHoldRelease(entry, logTime);
      case 'quota-set':
        this.view.setQuota(entry.tenant, {
          maxSecrets: entry.maxSecrets,
          maxValueBytes: entry.maxValueBytes,
          requestsPerSecond: entry.requestsPerSecond,
        });
        return;
      case 'tenant-create':
      case 'token-create':
      case 'token-revoke':
      case 'policy-put':
      case 'policy-delete':
      case 'approval-grant':
      case 'approval-revoke':
      case 'approval-break-glass':
        // Approvals expire in log time (I-T4, I-X4): the control view is told this record's.
        return this.options.control?.apply(entry, logTime);
    }
  }

  /**
   * I-K6: the tenant's key from now on. The record's offset is a key epoch too, so every node makes a DEK
   * under the new key at this log position; older DEKs stay readable under the key that wrapped them until the
   * rewrap worker moves their shards. A key DSV revoked stays revoked.
   */
  private applyTenantKeySet(
    partition: number,
    offset: number,
    entry: TenantKeySetEntry,
    logTime: number,
    signer: string,
  ): void {
    if (this.view.isShredded(entry.tenant)) return this.refuse(partition, offset, 'tenant-shredded', signer);
    if (this.view.tenantKey(entry.tenant)?.revoked) {
      return this.refuse(partition, offset, 'tenant-key-revoked', signer);
    }
    this.view.setTenantKey(
      {
        tenant: entry.tenant,
        provider: entry.provider,
        keyRef: entry.keyRef,
        setAt: logTime,
        setBy: entry.by,
      },
      offset,
    );
    this.view.setKeyEpoch(entry.tenant, offset + 1);
  }

  /**
   * I-K6 with I-C2b: revoking the tenant's key through DSV destroys the tenant's DEKs and shards on every node;
   * a retention hold in force anywhere in the tenant makes it a counted no-op, as for tenant-shred.
   */
  private applyTenantKeyRevoke(
    partition: number,
    offset: number,
    entry: TenantKeyRevokeEntry,
    logTime: number,
    signer: string,
  ): void {
    const key = this.view.tenantKey(entry.tenant);
    if (key === undefined || key.revoked) return;
    if (this.view.holdInTenant(entry.tenant, logTime)) {
      return this.refuse(partition, offset, 'retention-hold', signer);
    }
    this.view.revokeTenantKey(entry.tenant, logTime, entry.by);
    this.shards.destroyTenant(entry.tenant);
    this.options.keys?.destroyTenantKeys(entry.tenant);
  }

  /** Crypto-shred (DESIGN §8): pending writes abort, shards and metadata go, then the tenant's DEKs. */
  private shred(tenant: string, offset: number): void {
    for (const writeId of this.view.shredTenant(tenant, offset)) {
      this.view.finishWrite(writeId, { state: 'aborted', abortReason: 'shredded' });
    }
    this.shards.destroyTenant(tenant);
    this.options.keys?.destroyTenantKeys(tenant);
  }

  private applyIntent(partition: number, offset: number, entry: IntentEntry, logTime: number): void {
    const base = {
      writeId: entry.writeId,
      partition,
      tenant: entry.tenant,
      kind: 'batch' as const,
      intentOffset: offset,
      intentTime: logTime,
      coordinator: entry.coordinator,
      ...(entry.stager === undefined ? {} : { stager: entry.stager }),
    };
    if (this.view.write(entry.writeId)) return; // a replayed duplicate record changes nothing
    if (entry.idempotencyKey !== undefined) {
      const earlier = this.view.idempotentWrite(entry.tenant, entry.idempotencyKey);
      if (earlier !== undefined) {
        this.view.insertWrite({
          ...base,
          state: 'duplicate',
          plan: [],
          outcome: { state: 'duplicate', duplicateOf: earlier },
        });
        return;
      }
      this.view.rememberIdempotency(entry.tenant, entry.idempotencyKey, entry.writeId);
    }
    const planned = this.view.isShredded(entry.tenant)
      ? { rejection: { code: 'DSV_TENANT_SHREDDED' as const, opIndex: 0 } }
      : this.plan(entry, logTime);
    if ('rejection' in planned) {
      this.view.insertWrite({
        ...base,
        state: 'rejected',
        plan: [],
        outcome: { state: 'rejected', rejection: planned.rejection },
      });
      return;
    }
    for (const op of planned.plan) {
      if (op.op === 'read') continue;
      const key = keyOf(entry.tenant, op);
      const state = this.view.key(key) ?? {
        latestVersion: 0,
        live: false,
        pendingWrite: null,
        lastValidFrom: 0,
      };
      this.view.putKey(key, { ...state, pendingWrite: entry.writeId });
    }
    this.view.insertWrite({ ...base, state: 'pending', plan: planned.plan, outcome: { state: 'pending' } });
  }

  /** Decides every op of an intent against the view; the first failing op rejects the whole intent. */
  private plan(
    entry: IntentEntry,
    logTime: number,
  ): { plan: PlannedOp[] } | { rejection: { code: RejectionCode; opIndex: number } } {
    const plan: PlannedOp[] = [];
    const written = new Set<string>();
    for (const [opIndex, op] of entry.ops.entries()) {
      const key = keyOf(entry.tenant, op);
      const state = this.view.key(key);
      const reject = (code: RejectionCode) => ({ rejection: { code, opIndex } });
      if (op.op === 'read') {
        if (!state?.live) return reject('DSV_SECRET_NOT_FOUND');
        const info = this.view.version(key, op.version ?? state.latestVersion);
        if (!info) return reject('DSV_SECRET_NOT_FOUND');
        plan.push({
          op: 'read',
          namespace: op.namespace,
          name: op.name,
          version: info.version,
          writeId: info.writeId,
        });
        continue;
      }
      const identity = JSON.stringify([op.namespace, op.name]);
      if (written.has(identity)) return reject('DSV_WRITE_CONFLICT');
      written.add(identity);
      if (op.op === 'create') {
        if (state?.pendingWrite) return reject('DSV_WRITE_CONFLICT');
        if (state?.live) return reject('DSV_SECRET_EXISTS');
        // Versions restart at 1 after a delete: the delete destroyed the whole history (DESIGN §5).
        plan.push({ op: 'create', namespace: op.namespace, name: op.name, version: 1 });
        continue;
      }
      if (!state?.live) return reject('DSV_SECRET_NOT_FOUND');
      if (state.pendingWrite) return reject('DSV_WRITE_CONFLICT');
      if (op.expectedVersion !== undefined && op.expectedVersion !== state.latestVersion) {
        return reject('DSV_PRECONDITION_FAILED');
      }
      // I-C2b: a hold in force at the intent's log time covering the secret refuses its delete.
      if (op.op === 'delete' && this.view.holdCovering(key, logTime)) return reject('DSV_RETENTION_HOLD');
      const version = op.op === 'update' ? state.latestVersion + 1 : state.latestVersion;
      plan.push({ op: op.op, namespace: op.namespace, name: op.name, version });
    }
    // Quota on the number of secrets: decided here, in log order, so every node agrees (DESIGN §9).
    const { maxSecrets } = this.view.quota(entry.tenant);
    const creates = plan.filter((op) => op.op === 'create').length;
    if (
      maxSecrets !== null &&
      creates > 0 &&
      this.view.secretsCountedForQuota(entry.tenant) + creates > maxSecrets
    ) {
      return {
        rejection: { code: 'DSV_QUOTA_SECRETS', opIndex: plan.findIndex((op) => op.op === 'create') },
      };
    }
    return { plan };
  }

  private applyCommit(partition: number, offset: number, entry: CommitEntry, logTime: number): void {
    const write = this.view.write(entry.writeId);
    if (write?.state !== 'pending' || write.kind !== 'batch') return; // first of commit/abort wins (§5)
    const verified = this.options.authority?.verifiedShards(partition, entry, write);
    if (verified && 'refusal' in verified) return this.refuse(partition, offset, verified.refusal);
    // I-C2b: a hold placed after a delete was ordered but before it commits still stops it.
    const held = write.plan.some(
      (op) => op.op === 'delete' && this.view.holdCovering(keyOf(write.tenant, op), logTime),
    );
    if (held) return this.abort(write.writeId, 'retention-hold');
    const unchanged = new Set(entry.unchanged ?? []);
    for (const [index, op] of write.plan.entries()) {
      if (op.op === 'read' || op.op === 'repair') continue; // 'repair': plans recorded before 2026-12
      const key = keyOf(write.tenant, op);
      const state = this.view.key(key) ?? {
        latestVersion: 0,
        live: false,
        pendingWrite: null,
        lastValidFrom: 0,
      };
      if (op.op === 'delete') {
        this.shards.destroyKey(key);
        this.view.deleteVersions(key);
        this.view.putKey(key, {
          latestVersion: 0,
          live: false,
          pendingWrite: null,
          lastValidFrom: state.lastValidFrom,
        });
        continue;
      }
      if (unchanged.has(index) && op.op === 'update') {
        this.view.putKey(key, { ...state, pendingWrite: null });
        continue;
      }
      // valid_from is log time, strictly increasing per key (DESIGN §5, I-X4).
      const validFrom = Math.max(logTime, state.lastValidFrom + 1);
      if (state.live) this.view.closeVersion(key, state.latestVersion, validFrom);
      const shards =
        verified?.shards.get(JSON.stringify([op.namespace, op.name])) ??
        entry.shards.filter((shard) => shard.namespace === op.namespace && shard.name === op.name);
      this.view.insertVersion(key, {
        version: op.version,
        writeId: write.writeId,
        validFrom,
        validTo: null,
        generation: 0,
        holders: [...new Set(shards.map((shard) => shard.node))].sort(),
        commitments: Object.fromEntries(shards.map((shard) => [String(shard.index), shard.commitment])),
      });
      this.view.putKey(key, {
        latestVersion: op.version,
        live: true,
        pendingWrite: null,
        lastValidFrom: validFrom,
      });
    }
    this.shards.promote(write.writeId);
    this.view.finishWrite(write.writeId, {
      state: 'committed',
      unchanged: [...unchanged].sort((a, b) => a - b),
    });
  }

  /** A retention hold (I-C2b): its expiry is counted in log time from this record's own log time (I-X4). */
  private applyHoldPlace(offset: number, entry: HoldPlaceEntry, logTime: number): void {
    if (this.view.isShredded(entry.tenant)) return;
    if (entry.namespace === null && entry.name !== null) return; // a name needs its namespace
    this.view.placeHold(
      {
        holdId: entry.holdId,
        tenant: entry.tenant,
        namespace: entry.namespace,
        name: entry.name,
        reason: entry.reason,
        placedBy: entry.by,
        placedAt: logTime,
        expiresAt: entry.ttlMs === null ? null : logTime + entry.ttlMs,
      },
      offset,
    );
  }

  /** Releases a hold only when the record names it with its own tenant and scope (what endorsers judged). */
  private applyHoldRelease(entry: HoldReleaseEntry, logTime: number): void {
    const hold = this.view.hold(entry.holdId);
    if (
      !hold ||
      hold.releasedAt !== null ||
      hold.tenant !== entry.tenant ||
      hold.namespace !== entry.namespace ||
      hold.name !== entry.name
    ) {
      return;
    }
    this.view.releaseHold(hold.holdId, logTime, entry.by);
  }

  /** A holder's recovered shard (design §7): its new commitment replaces only its own index's. */
  private applyShareRestored(entry: ShareRestoredEntry, signer: string): void {
    const key = keyOf(entry.tenant, entry);
    const info = this.view.version(key, entry.version);
    // A restore of a superseded generation (a recovery that raced a refresh) changes nothing (I-R1).
    if (!info || info.writeId !== entry.writeId || (entry.generation ?? 0) !== info.generation) return;
    this.view.restoreShard(key, entry.version, signer, entry.index, entry.commitment);
  }

  private applyAbort(entry: AbortEntry): void {
    this.abort(entry.writeId, entry.reason);
  }

  private abort(writeId: string, reason: string): void {
    const write = this.view.write(writeId);
    if (write?.state !== 'pending') return;
    for (const op of write.kind === 'batch' ? write.plan : []) {
      if (op.op === 'read') continue;
      const key = keyOf(write.tenant, op);
      const state = this.view.key(key);
      if (state?.pendingWrite === writeId) this.view.putKey(key, { ...state, pendingWrite: null });
    }
    this.shards.discardStaged(writeId); // I-S3
    this.view.finishWrite(writeId, { state: 'aborted', abortReason: reason });
  }
}
