// Reads and writes of the view tables. Synchronous (node:sqlite), so callers compose them in one transaction.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { CommittedMemo } from '../platform/committed-memo.ts';
import { StatementCache } from '../platform/statement-cache.ts';
import type { SecretKey } from '../kernel/secret-key.ts';
import { RefreshView } from './refresh-view.ts';
import { migrateView } from './schema.ts';
import {
  nullableNum,
  num,
  secretId,
  str,
  toHold,
  toVersion,
  toWrite,
  versionId,
  type TenantRow,
} from './view-rows.ts';
import { NO_QUOTA, type HoldRecord, type TenantKeyRecord, type TenantQuota } from './view-types.ts';
import type { KeyState, VersionInfo, WriteRecord, WriteOutcome } from './view-types.ts';

/** A hold in force at log time `at` (I-C2b): not released, and not past its expiry. */
const ACTIVE = 'released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)';

export class ViewStore {
  readonly db: DatabaseSync;
  private readonly statements: StatementCache;
  private readonly keyEpochListeners: Array<(tenant: string) => void> = [];
  /** Proactive share refresh (I-R1): sessions and each version's current generation. */
  readonly refreshes: RefreshView;

  /**
   * Per-tenant and per-node facts every request checks (shredded, quota, key epoch, tenant key, revoked
   * nodes): remembered while committed (CommittedMemo). Each setter of those rows forgets them first.
   */
  private readonly tenantMemo: CommittedMemo<TenantRow | undefined>;
  private readonly tenantKeyMemo: CommittedMemo<TenantKeyRecord | undefined>;
  private readonly revokedMemo: CommittedMemo<boolean>;
  /**
   * A secret's key row and version rows, read on every secret request. Names are caller-chosen, so a missing
   * row is not remembered. Every writer of view_keys / view_versions (here and in RefreshView) forgets first.
   */
  private readonly keyMemo: CommittedMemo<KeyState | undefined>;
  private readonly versionMemo: CommittedMemo<VersionInfo | undefined>;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.statements = new StatementCache(db);
    this.tenantMemo = new CommittedMemo(db);
    this.tenantKeyMemo = new CommittedMemo(db);
    this.revokedMemo = new CommittedMemo(db);
    this.keyMemo = new CommittedMemo(db, { keepMissing: false, limit: 16_384 });
    this.versionMemo = new CommittedMemo(db, { keepMissing: false, limit: 16_384 });
    migrateView(db);
    this.refreshes = new RefreshView(db, (key, version) => this.versionMemo.forget(versionId(key, version)));
  }

  private sql(text: string): StatementSync {
    return this.statements.get(text);
  }

  applied(partition: number): { nextOffset: number; logTime: number } {
    const row = this.sql('SELECT next_offset, log_time FROM view_applied WHERE partition = ?').get(partition);
    return row
      ? { nextOffset: num(row.next_offset), logTime: num(row.log_time) }
      : { nextOffset: 0, logTime: 0 };
  }

  setApplied(partition: number, nextOffset: number, logTime: number): void {
    this.sql(
      `INSERT INTO view_applied (partition, next_offset, log_time) VALUES (?, ?, ?)
       ON CONFLICT (partition) DO UPDATE SET next_offset = excluded.next_offset, log_time = excluded.log_time`,
    ).run(partition, nextOffset, logTime);
  }

  key(key: SecretKey): KeyState | undefined {
    return this.keyMemo.get(secretId(key), () => this.#key(key));
  }

  #key(key: SecretKey): KeyState | undefined {
    const row = this.sql(
      'SELECT latest_version, live, pending_write, last_valid_from FROM view_keys WHERE tenant = ? AND namespace = ? AND name = ?',
    ).get(key.tenant, key.namespace, key.name);
    if (!row) return undefined;
    return {
      latestVersion: num(row.latest_version),
      live: num(row.live) === 1,
      pendingWrite: row.pending_write === null ? null : str(row.pending_write),
      lastValidFrom: num(row.last_valid_from),
    };
  }

  putKey(key: SecretKey, state: KeyState): void {
    this.keyMemo.forget(secretId(key));
    this.sql(
      `INSERT INTO view_keys (tenant, namespace, name, latest_version, live, pending_write, last_valid_from)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, namespace, name) DO UPDATE SET latest_version = excluded.latest_version,
         live = excluded.live, pending_write = excluded.pending_write, last_valid_from = excluded.last_valid_from`,
    ).run(
      key.tenant,
      key.namespace,
      key.name,
      state.latestVersion,
      state.live ? 1 : 0,
      state.pendingWrite,
      state.lastValidFrom,
    );
  }

  version(key: SecretKey, version: number): VersionInfo | undefined {
    return this.versionMemo.get(versionId(key, version), () => this.#version(key, version));
  }

  #version(key: SecretKey, version: number): VersionInfo | undefined {
    const row = this.sql(
      'SELECT * FROM view_versions WHERE tenant = ? AND namespace = ? AND name = ? AND version = ?',
    ).get(key.tenant, key.namespace, key.name, version);
    return row ? toVersion(row) : undefined;
  }

  /** The version valid at `time`: valid_from ≤ time < valid_to (or open-ended). */
  versionAt(key: SecretKey, time: number): VersionInfo | undefined {
    const row = this.sql(
      `SELECT * FROM view_versions WHERE tenant = ? AND namespace = ? AND name = ? AND valid_from <= ?
       AND (valid_to IS NULL OR valid_to > ?) ORDER BY version DESC LIMIT 1`,
    ).get(key.tenant, key.namespace, key.name, time, time);
    return row ? toVersion(row) : undefined;
  }

  versions(key: SecretKey): VersionInfo[] {
    return this.sql(
      'SELECT * FROM view_versions WHERE tenant = ? AND namespace = ? AND name = ? ORDER BY version ASC',
    )
      .all(key.tenant, key.namespace, key.name)
      .map(toVersion);
  }

  insertVersion(key: SecretKey, info: VersionInfo): void {
    this.versionMemo.forget(versionId(key, info.version));
    this.sql(
      `INSERT INTO view_versions
         (tenant, namespace, name, version, write_id, valid_from, valid_to, holders, commitments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      key.tenant,
      key.namespace,
      key.name,
      info.version,
      info.writeId,
      info.validFrom,
      info.validTo,
      JSON.stringify(info.holders),
      info.commitments ? JSON.stringify(info.commitments) : null,
    );
  }

  /** A holder restored its shard of a version (share recovery): its new commitment and its membership. */
  restoreShard(key: SecretKey, version: number, nodeId: string, index: number, commitment: string): void {
    this.versionMemo.forget(versionId(key, version));
    const info = this.#version(key, version); // not through the memo: the row changes below
    if (!info) return;
    const holders = [...new Set([...info.holders, nodeId])].sort();
    const commitments = { ...(info.commitments ?? {}), [String(index)]: commitment };
    this.sql(
      `UPDATE view_versions SET holders = ?, commitments = ?
       WHERE tenant = ? AND namespace = ? AND name = ? AND version = ?`,
    ).run(JSON.stringify(holders), JSON.stringify(commitments), key.tenant, key.namespace, key.name, version);
  }

  /** Applies an authority record at most once (replays by a log writer change nothing). */
  firstUseOfRid(rid: string): boolean {
    return this.sql('INSERT OR IGNORE INTO view_applied_rids (rid) VALUES (?)').run(rid).changes > 0;
  }

  /** Revocation is recorded per partition: each partition's records are judged at its own position (I-X1). */
  revokeNode(partition: number, nodeId: string, at: number): void {
    this.revokedMemo.clear();
    this.sql(
      'INSERT OR IGNORE INTO view_revoked_nodes (partition, node_id, revoked_at) VALUES (?, ?, ?)',
    ).run(partition, nodeId, at);
  }

  /** With a partition: revoked at this point of that partition. Without: revoked anywhere (peer API). */
  isNodeRevoked(nodeId: string, partition?: number): boolean {
    return this.revokedMemo.get(`${partition ?? '*'}:${nodeId}`, () =>
      this.#isNodeRevoked(nodeId, partition),
    );
  }

  #isNodeRevoked(nodeId: string, partition?: number): boolean {
    return partition === undefined
      ? this.sql('SELECT 1 FROM view_revoked_nodes WHERE node_id = ?').get(nodeId) !== undefined
      : this.sql('SELECT 1 FROM view_revoked_nodes WHERE partition = ? AND node_id = ?').get(
          partition,
          nodeId,
        ) !== undefined;
  }

  /** Counts a record every node refused (I-L6: a no-op, counted). Returns the new count. */
  countRejected(reason: string): number {
    this.sql(
      `INSERT INTO view_rejected_records (reason, count) VALUES (?, 1)
       ON CONFLICT (reason) DO UPDATE SET count = count + 1`,
    ).run(reason);
    return num(this.sql('SELECT count FROM view_rejected_records WHERE reason = ?').get(reason)?.count);
  }

  rejectedRecords(): Record<string, number> {
    return Object.fromEntries(
      this.sql('SELECT reason, count FROM view_rejected_records')
        .all()
        .map((row) => [str(row.reason), num(row.count)]),
    );
  }

  closeVersion(key: SecretKey, version: number, validTo: number): void {
    this.versionMemo.forget(versionId(key, version));
    this.sql(
      'UPDATE view_versions SET valid_to = ? WHERE tenant = ? AND namespace = ? AND name = ? AND version = ?',
    ).run(validTo, key.tenant, key.namespace, key.name, version);
  }

  replaceVersionWrite(key: SecretKey, version: number, writeId: string, holders: readonly string[]): void {
    this.versionMemo.forget(versionId(key, version));
    this.sql(
      `UPDATE view_versions SET write_id = ?, holders = ?
       WHERE tenant = ? AND namespace = ? AND name = ? AND version = ?`,
    ).run(writeId, JSON.stringify(holders), key.tenant, key.namespace, key.name, version);
  }

  deleteVersions(key: SecretKey): void {
    this.versionMemo.clear(); // every version of the key: rare (delete, destroy)
    this.sql('DELETE FROM view_versions WHERE tenant = ? AND namespace = ? AND name = ?').run(
      key.tenant,
      key.namespace,
      key.name,
    );
  }

  /** Every live version, for anti-entropy (DESIGN §7.5). */
  allVersions(): Array<SecretKey & VersionInfo> {
    return this.sql('SELECT * FROM view_versions ORDER BY tenant, namespace, name, version')
      .all()
      .map((row) => ({
        tenant: str(row.tenant),
        namespace: str(row.namespace),
        name: str(row.name),
        ...toVersion(row),
      }));
  }

  /** Live secret names of a namespace in name order, for listing. */
  names(tenant: string, namespace: string, prefix: string, after: string, limit: number): string[] {
    // length() and substr() both count characters in SQLite, so any Unicode prefix compares correctly.
    return this.sql(
      `SELECT name FROM view_keys WHERE tenant = ?1 AND namespace = ?2 AND live = 1 AND name > ?3
       AND substr(name, 1, length(?4)) = ?4 ORDER BY name LIMIT ?5`,
    )
      .all(tenant, namespace, after, prefix, limit)
      .map((row) => str(row.name));
  }

  /**
   * Namespaces of a tenant that hold at least one live secret, ascending, after `after` and starting with
   * `prefix`: one seek on the key table's primary key (tenant, namespace, name) per namespace returned, each
   * starting past every row of the namespace before it. Namespaces with the prefix are one contiguous range in
   * the index order, so the first namespace found outside it ends the scan.
   */
  namespaces(tenant: string, prefix: string, after: string, limit: number): string[] {
    const next = this.sql(
      `SELECT namespace, substr(namespace, 1, length(?3)) = ?3 AS matches FROM view_keys
       WHERE tenant = ?1 AND namespace > ?2 AND namespace >= ?3 AND live = 1 ORDER BY namespace LIMIT 1`,
    );
    const found: string[] = [];
    let from = after;
    while (found.length < limit) {
      const row = next.get(tenant, from, prefix);
      if (!row || num(row.matches) !== 1) break;
      from = str(row.namespace);
      found.push(from);
    }
    return found;
  }

  write(writeId: string): WriteRecord | undefined {
    const row = this.sql('SELECT * FROM view_writes WHERE write_id = ?').get(writeId);
    return row ? toWrite(row) : undefined;
  }

  insertWrite(record: WriteRecord): void {
    this.sql(
      `INSERT INTO view_writes
         (write_id, partition, tenant, kind, state, intent_offset, intent_time, plan, outcome, target, coordinator, stager)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      record.writeId,
      record.partition,
      record.tenant,
      record.kind,
      record.state,
      record.intentOffset,
      record.intentTime,
      JSON.stringify(record.plan),
      JSON.stringify(record.outcome),
      record.kind === 'repair' && record.plan[0]
        ? JSON.stringify([record.plan[0].namespace, record.plan[0].name, record.plan[0].version])
        : null,
      record.coordinator ?? null,
      record.stager ?? null,
    );
  }

  finishWrite(writeId: string, outcome: WriteOutcome): void {
    this.sql('UPDATE view_writes SET state = ?, outcome = ? WHERE write_id = ?').run(
      outcome.state,
      JSON.stringify(outcome),
      writeId,
    );
  }

  hasPendingRepair(tenant: string, namespace: string, name: string, version: number): boolean {
    return (
      this.sql(
        `SELECT 1 FROM view_writes WHERE tenant = ? AND kind = 'repair' AND state = 'pending' AND target = ?`,
      ).get(tenant, JSON.stringify([namespace, name, version])) !== undefined
    );
  }

  /** Pending writes of a partition whose intent is older than `before` (log time), oldest first. */
  pendingWritesBefore(partition: number, before: number): string[] {
    return this.sql(
      `SELECT write_id FROM view_writes WHERE partition = ? AND state = 'pending' AND intent_time < ?
       ORDER BY intent_offset`,
    )
      .all(partition, before)
      .map((row) => str(row.write_id));
  }

  oldestPendingTime(partition: number): number | undefined {
    const row = this.sql(
      `SELECT MIN(intent_time) AS t FROM view_writes WHERE partition = ? AND state = 'pending'`,
    ).get(partition);
    return row?.t === null || row?.t === undefined ? undefined : num(row.t);
  }

  idempotentWrite(tenant: string, idempotencyKey: string): string | undefined {
    const row = this.sql('SELECT write_id FROM view_idempotency WHERE tenant = ? AND idem_key = ?').get(
      tenant,
      idempotencyKey,
    );
    return row ? str(row.write_id) : undefined;
  }

  rememberIdempotency(tenant: string, idempotencyKey: string, writeId: string): void {
    this.sql('INSERT INTO view_idempotency (tenant, idem_key, write_id) VALUES (?, ?, ?)').run(
      tenant,
      idempotencyKey,
      writeId,
    );
  }

  /** The log position of the tenant's latest key rotation (0 if none): seals after it need a newer DEK. */
  keyEpoch(tenant: string): number {
    return this.#tenantRow(tenant)?.keyEpoch ?? 0;
  }

  isShredded(tenant: string): boolean {
    const row = this.#tenantRow(tenant);
    return row !== undefined && row.shreddedAt !== null;
  }

  /** The tenant's row of view_tenants, remembered while committed (every writer of the row forgets it). */
  #tenantRow(tenant: string): TenantRow | undefined {
    return this.tenantMemo.get(tenant, () => {
      const row = this.sql('SELECT key_epoch, shredded_at, quota FROM view_tenants WHERE tenant = ?').get(
        tenant,
      );
      if (row === undefined) return undefined;
      return {
        keyEpoch: num(row.key_epoch),
        shreddedAt: nullableNum(row.shredded_at),
        quota: row.quota ? (JSON.parse(str(row.quota)) as TenantQuota) : NO_QUOTA,
      };
    });
  }

  setKeyEpoch(tenant: string, epoch: number): void {
    this.tenantMemo.forget(tenant);
    this.sql(
      `INSERT INTO view_tenants (tenant, key_epoch) VALUES (?, ?)
       ON CONFLICT (tenant) DO UPDATE SET key_epoch = excluded.key_epoch`,
    ).run(tenant, epoch);
    for (const listener of this.keyEpochListeners) listener(tenant);
  }

  /** Told of each key epoch set (a keys-rotate record applied), inside the apply transaction: defer work. */
  onKeyEpoch(listener: (tenant: string) => void): void {
    this.keyEpochListeners.push(listener);
  }

  /** Crypto-shred: the tenant's metadata goes; the tenant name stays marked so it is never reused. */
  shredTenant(tenant: string, at: number): string[] {
    this.tenantMemo.forget(tenant);
    this.keyMemo.clear();
    this.versionMemo.clear();
    const pending = this.sql(`SELECT write_id FROM view_writes WHERE tenant = ? AND state = 'pending'`)
      .all(tenant)
      .map((row) => str(row.write_id));
    this.sql('DELETE FROM view_versions WHERE tenant = ?').run(tenant);
    this.sql('DELETE FROM view_keys WHERE tenant = ?').run(tenant);
    this.sql(
      `INSERT INTO view_tenants (tenant, shredded_at) VALUES (?, ?)
       ON CONFLICT (tenant) DO UPDATE SET shredded_at = excluded.shredded_at`,
    ).run(tenant, at);
    return pending;
  }

  /** The tenant's registered key (I-K6), revoked or not; undefined when it never set one. */
  tenantKey(tenant: string): TenantKeyRecord | undefined {
    return this.tenantKeyMemo.get(tenant, () => this.#tenantKey(tenant));
  }

  #tenantKey(tenant: string): TenantKeyRecord | undefined {
    const row = this.sql('SELECT * FROM view_tenant_keys WHERE tenant = ?').get(tenant);
    if (row === undefined) return undefined;
    return {
      tenant: str(row.tenant),
      provider: str(row.provider),
      keyRef: str(row.key_ref),
      setAt: num(row.set_at),
      setBy: str(row.set_by),
      revoked: row.revoked_at !== null,
      revokedAt: row.revoked_at === null ? null : num(row.revoked_at),
      revokedBy: row.revoked_by === null ? null : str(row.revoked_by),
    };
  }

  /** Records the tenant's key (a tenant-key-set record at `offset`); a revoked tenant key stays revoked. */
  setTenantKey(
    key: Pick<TenantKeyRecord, 'tenant' | 'provider' | 'keyRef' | 'setAt' | 'setBy'>,
    offset: number,
  ): void {
    this.tenantKeyMemo.forget(key.tenant);
    this.sql(
      `INSERT INTO view_tenant_keys (tenant, provider, key_ref, set_at, set_by, set_offset) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant) DO UPDATE SET provider = excluded.provider, key_ref = excluded.key_ref,
         set_at = excluded.set_at, set_by = excluded.set_by, set_offset = excluded.set_offset
       WHERE revoked_at IS NULL`,
    ).run(key.tenant, key.provider, key.keyRef, key.setAt, key.setBy, offset);
  }

  revokeTenantKey(tenant: string, at: number, by: string): void {
    this.tenantKeyMemo.forget(tenant);
    this.sql(
      'UPDATE view_tenant_keys SET revoked_at = ?, revoked_by = ? WHERE tenant = ? AND revoked_at IS NULL',
    ).run(at, by, tenant);
  }

  /** Records a hold (I-C2b); false when the id is already taken (the first record with an id wins). */
  placeHold(hold: Omit<HoldRecord, 'releasedAt' | 'releasedBy'>, offset: number): boolean {
    return (
      this.sql(
        `INSERT OR IGNORE INTO view_holds
           (hold_id, tenant, namespace, name, reason, placed_by, placed_at, placed_offset, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        hold.holdId,
        hold.tenant,
        hold.namespace,
        hold.name,
        hold.reason,
        hold.placedBy,
        hold.placedAt,
        offset,
        hold.expiresAt,
      ).changes > 0
    );
  }

  releaseHold(holdId: string, at: number, by: string): void {
    this.sql('UPDATE view_holds SET released_at = ?, released_by = ? WHERE hold_id = ?').run(at, by, holdId);
  }

  hold(holdId: string): HoldRecord | undefined {
    const row = this.sql('SELECT * FROM view_holds WHERE hold_id = ?').get(holdId);
    return row ? toHold(row) : undefined;
  }

  /** The tenant's holds in the order they were placed; released ones only when asked. */
  holds(tenant: string, includeReleased: boolean): HoldRecord[] {
    return this.sql(
      `SELECT * FROM view_holds WHERE tenant = ? AND (? = 1 OR released_at IS NULL)
       ORDER BY placed_offset, hold_id`,
    )
      .all(tenant, includeReleased ? 1 : 0)
      .map(toHold);
  }

  /** The first hold in force at log time `at` that covers this secret: tenant, namespace or secret scope. */
  holdCovering(key: SecretKey, at: number): HoldRecord | undefined {
    const row = this.sql(
      `SELECT * FROM view_holds WHERE tenant = ? AND ${ACTIVE}
       AND (namespace IS NULL OR (namespace = ? AND (name IS NULL OR name = ?)))
       ORDER BY placed_offset LIMIT 1`,
    ).get(key.tenant, at, key.namespace, key.name);
    return row ? toHold(row) : undefined;
  }

  /** The first hold in force anywhere in the tenant at log time `at`: crypto-shred would destroy what it covers. */
  holdInTenant(tenant: string, at: number): HoldRecord | undefined {
    const row = this.sql(
      `SELECT * FROM view_holds WHERE tenant = ? AND ${ACTIVE} ORDER BY placed_offset LIMIT 1`,
    ).get(tenant, at);
    return row ? toHold(row) : undefined;
  }

  quota(tenant: string): TenantQuota {
    return this.#tenantRow(tenant)?.quota ?? NO_QUOTA;
  }

  setQuota(tenant: string, quota: TenantQuota): void {
    this.tenantMemo.forget(tenant);
    this.sql(
      `INSERT INTO view_tenants (tenant, quota) VALUES (?, ?)
       ON CONFLICT (tenant) DO UPDATE SET quota = excluded.quota`,
    ).run(tenant, JSON.stringify(quota));
  }

  /** Live secrets plus creates in flight: what a new create counts against `maxSecrets`. */
  secretsCountedForQuota(tenant: string): number {
    const row = this.sql(
      'SELECT COUNT(*) AS c FROM view_keys WHERE tenant = ? AND (live = 1 OR pending_write IS NOT NULL)',
    ).get(tenant);
    return num(row?.c ?? 0);
  }

  /** Tenants that have (had) secrets and are not shredded. */
  tenants(): string[] {
    return this.sql(
      `SELECT DISTINCT tenant FROM view_keys WHERE tenant NOT IN (SELECT tenant FROM view_tenants WHERE shredded_at IS NOT NULL)
       ORDER BY tenant`,
    )
      .all()
      .map((row) => str(row.tenant));
  }

  /** Count of live secrets, for status and quotas. */
  liveSecretCount(tenant?: string): number {
    const row =
      tenant === undefined
        ? this.sql('SELECT COUNT(*) AS c FROM view_keys WHERE live = 1').get()
        : this.sql('SELECT COUNT(*) AS c FROM view_keys WHERE live = 1 AND tenant = ?').get(tenant);
    return num(row?.c ?? 0);
  }
}
