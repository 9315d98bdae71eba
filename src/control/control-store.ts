// The control view: tenants, token hashes and policies, as applied from the control partition (I-V1).
import { addColumnIfMissing, migrateSchema, type Migration } from '../platform/schema-migrations.ts';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StatementCache } from '../platform/statement-cache.ts';
import { CommittedMemo } from '../platform/committed-memo.ts';
import type { ApprovalEntry, Capability, ControlEntry, PolicyRule } from './control-entry.ts';
import { patternMatches } from './policy.ts';

export interface TokenRecord {
  readonly accessor: string;
  /** This node's verifier: SHA-256 of the credential derived from the token for this node (I-G3). */
  readonly tokenHash: string;
  /** The token that created this one (null: the operator). */
  readonly creator: string | null;
  readonly tenant: string | null;
  readonly policies: readonly string[];
  readonly displayName: string;
  readonly expiresAt: number | null;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  /** I-T4: the tenant's bootstrap admin, named once by root from verifiers only; every capability in it. */
  readonly bootstrap: boolean;
}

/** The control view's tables, in order (issue #13); the first adopts databases from before versioning. */
const CONTROL_MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS control_tenants (tenant TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS control_tokens (
        accessor     TEXT PRIMARY KEY,
        token_hash   TEXT NOT NULL UNIQUE,
        tenant       TEXT,
        policies     TEXT NOT NULL,
        display_name TEXT NOT NULL,
        expires_at   INTEGER,
        created_at   INTEGER NOT NULL,
        revoked_at   INTEGER
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS control_policies (
        tenant TEXT NOT NULL,
        name   TEXT NOT NULL,
        rules  TEXT NOT NULL,
        PRIMARY KEY (tenant, name)
      ) WITHOUT ROWID;
    `);
    addColumnIfMissing(db, 'control_tokens', 'creator', 'TEXT');
  },
  // 2 (issue #14, I-T4): approvals and break-glass, with their scope, log-time expiry and revocation.
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS control_approvals (
        approval_id  TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        tenant       TEXT NOT NULL,
        grantee      TEXT NOT NULL,
        namespace    TEXT NOT NULL,
        name         TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        reason       TEXT NOT NULL,
        granted_by   TEXT,
        granted_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        revoked_at   INTEGER,
        revoked_by   TEXT
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS control_approvals_grantee ON control_approvals (grantee, tenant);
      CREATE INDEX IF NOT EXISTS control_approvals_tenant ON control_approvals (tenant, granted_at);
    `);
    // A tenant's bootstrap admin is marked, never inferred from a null creator: rows from before the
    // creator column have one too, and must not become admins by an upgrade.
    addColumnIfMissing(db, 'control_tokens', 'bootstrap', 'INTEGER NOT NULL DEFAULT 0');
  },
];

/** An approval (I-T4) as the control view keeps it; times are log times of its records (I-X4). */
export interface ApprovalRecord {
  readonly approvalId: string;
  /** `grant`: made by the tenant's admin; `break-glass`: signed by the operator key alone. */
  readonly kind: 'grant' | 'break-glass';
  readonly tenant: string;
  readonly grantee: string;
  readonly namespace: string;
  readonly name: string;
  readonly capabilities: readonly Capability[];
  readonly reason: string;
  /** The tenant admin's accessor; null for break-glass (the operator). */
  readonly grantedBy: string | null;
  readonly grantedAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
}

/** In force at `now`: neither revoked nor expired. */
export const approvalActive = (approval: ApprovalRecord, now: number): boolean =>
  approval.revokedAt === null && now < approval.expiresAt;

export class ControlStore {
  private readonly db: DatabaseSync;
  private readonly statements: StatementCache;
  /** Whose verifier of each token this store keeps: a token is usable here only if it names this node. */
  readonly nodeId: string;

  /**
   * Tokens by verifier and policies, asked on every request (twice or more per read: the coordinator and
   * each holder). Only `apply` writes these tables, and it forgets both memos first.
   */
  private readonly tokenMemo: CommittedMemo<TokenRecord | undefined>;
  private readonly policyMemo: CommittedMemo<readonly PolicyRule[] | undefined>;

  constructor(db: DatabaseSync, nodeId: string) {
    this.db = db;
    this.nodeId = nodeId;
    this.statements = new StatementCache(db);
    this.tokenMemo = new CommittedMemo(db, { keepMissing: false }); // verifiers are caller-chosen
    this.policyMemo = new CommittedMemo(db);
    migrateSchema(db, 'control', CONTROL_MIGRATIONS);
  }

  private sql(text: string): StatementSync {
    return this.statements.get(text);
  }

  /**
   * Applies one control record; deterministic and idempotent on replay (I-X1). `logTime` is the record's log
   * time (I-X4); approvals count their expiry from it.
   */
  apply(entry: ControlEntry, logTime: number = entry.time): void {
    this.tokenMemo.clear();
    this.policyMemo.clear();
    switch (entry.type) {
      case 'approval-grant':
      case 'approval-revoke':
      case 'approval-break-glass':
        return this.applyApproval(entry, logTime);
      case 'tenant-create':
        this.sql('INSERT OR IGNORE INTO control_tenants (tenant, created_at) VALUES (?, ?)').run(
          entry.tenant,
          entry.time,
        );
        return;
      case 'token-create': {
        const verifier = entry.verifiers[this.nodeId];
        if (verifier === undefined || (entry.tenant !== null && !this.tenantExists(entry.tenant))) return;
        // I-T4: a tenant's bootstrap admin (no creator, a tenant) is named once; the first record wins, so
        // two racing bootstraps, or a later one, never give a tenant a second admin root chose.
        if (entry.creator === null && entry.tenant !== null && this.tenantHasBootstrap(entry.tenant)) return;
        // A child never outlives its creator, and a revoked creator creates nothing (I-T5).
        const creator = entry.creator === null ? undefined : this.tokenByAccessor(entry.creator);
        if (entry.creator !== null && (!creator || creator.revokedAt !== null)) return;
        const expiresAt =
          creator?.expiresAt == null
            ? entry.expiresAt
            : Math.min(entry.expiresAt ?? creator.expiresAt, creator.expiresAt);
        this.sql(
          `INSERT OR IGNORE INTO control_tokens
           (accessor, token_hash, tenant, policies, display_name, expires_at, created_at, creator, bootstrap)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          entry.accessor,
          verifier,
          entry.tenant,
          JSON.stringify(entry.policies),
          entry.displayName,
          expiresAt,
          entry.time,
          entry.creator,
          entry.creator === null && entry.tenant !== null ? 1 : 0,
        );
        return;
      }
      case 'token-revoke':
        // Revoking a token revokes every token it created, transitively (I-T5).
        this.sql(
          `WITH RECURSIVE tree(accessor) AS (
             SELECT ?1 UNION SELECT t.accessor FROM control_tokens t JOIN tree ON t.creator = tree.accessor)
           UPDATE control_tokens SET revoked_at = ?2
           WHERE accessor IN (SELECT accessor FROM tree) AND revoked_at IS NULL`,
        ).run(entry.accessor, entry.time);
        return;
      case 'policy-put':
        if (!this.tenantExists(entry.tenant)) return;
        this.sql(
          `INSERT INTO control_policies (tenant, name, rules) VALUES (?, ?, ?)
           ON CONFLICT (tenant, name) DO UPDATE SET rules = excluded.rules`,
        ).run(entry.tenant, entry.name, JSON.stringify(entry.rules));
        return;
      case 'policy-delete':
        this.sql('DELETE FROM control_policies WHERE tenant = ? AND name = ?').run(entry.tenant, entry.name);
        return;
    }
  }

  private applyApproval(entry: ApprovalEntry, logTime: number): void {
    if (entry.type === 'approval-revoke') {
      // Only the tenant's own grants; break-glass is the override and runs out by itself.
      this.sql(
        `UPDATE control_approvals SET revoked_at = ?, revoked_by = ?
         WHERE approval_id = ? AND tenant = ? AND kind = 'grant' AND revoked_at IS NULL`,
      ).run(logTime, entry.by, entry.approvalId, entry.tenant);
      return;
    }
    if (!this.tenantExists(entry.tenant)) return;
    this.sql(
      `INSERT OR IGNORE INTO control_approvals
       (approval_id, kind, tenant, grantee, namespace, name, capabilities, reason, granted_by, granted_at,
        expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      entry.approvalId,
      entry.type === 'approval-grant' ? 'grant' : 'break-glass',
      entry.tenant,
      entry.grantee,
      entry.namespace,
      entry.name,
      JSON.stringify(entry.capabilities),
      entry.reason,
      entry.type === 'approval-grant' ? entry.by : null,
      logTime,
      logTime + entry.ttlMs,
    );
  }

  /** I-T4: whether the tenant's bootstrap admin was ever named (revoked or not: root names it once). */
  tenantHasBootstrap(tenant: string): boolean {
    return (
      this.sql('SELECT 1 FROM control_tokens WHERE tenant = ? AND bootstrap = 1 LIMIT 1').get(tenant) !==
      undefined
    );
  }

  /**
   * The approval in force at `now` that lets `grantee` do `capability` on this secret of `tenant`, if any
   * (I-T4). Prefers a grant over break-glass so an access is attributed to the tenant's own decision.
   */
  approvalFor(
    grantee: string,
    tenant: string,
    capability: Capability,
    namespace: string,
    name: string,
    now: number,
  ): ApprovalRecord | undefined {
    return this.sql(
      `SELECT * FROM control_approvals WHERE grantee = ? AND tenant = ? AND revoked_at IS NULL
       AND expires_at > ? ORDER BY kind DESC, granted_at`,
    )
      .all(grantee, tenant, now)
      .map(toApproval)
      .find(
        (approval) =>
          approval.capabilities.includes(capability) &&
          patternMatches(approval.namespace, namespace) &&
          patternMatches(approval.name, name),
      );
  }

  approval(approvalId: string): ApprovalRecord | undefined {
    const row = this.sql('SELECT * FROM control_approvals WHERE approval_id = ?').get(approvalId);
    return row ? toApproval(row) : undefined;
  }

  /** A tenant's approvals and break-glass records, oldest first: the tenant's view of them (I-T4c). */
  approvals(tenant: string): ApprovalRecord[] {
    return this.sql('SELECT * FROM control_approvals WHERE tenant = ? ORDER BY granted_at, approval_id')
      .all(tenant)
      .map(toApproval);
  }

  tenantExists(tenant: string): boolean {
    return this.sql('SELECT 1 FROM control_tenants WHERE tenant = ?').get(tenant) !== undefined;
  }

  tenants(): string[] {
    return this.sql('SELECT tenant FROM control_tenants ORDER BY tenant')
      .all()
      .map((row) => String(row.tenant));
  }

  tokenByHash(tokenHash: string): TokenRecord | undefined {
    return this.tokenMemo.get(tokenHash, () => {
      const row = this.sql('SELECT * FROM control_tokens WHERE token_hash = ?').get(tokenHash);
      return row ? toToken(row) : undefined;
    });
  }

  tokenByAccessor(accessor: string): TokenRecord | undefined {
    const row = this.sql('SELECT * FROM control_tokens WHERE accessor = ?').get(accessor);
    return row ? toToken(row) : undefined;
  }

  tokens(tenant: string | null): TokenRecord[] {
    const rows =
      tenant === null
        ? this.sql('SELECT * FROM control_tokens ORDER BY created_at').all()
        : this.sql('SELECT * FROM control_tokens WHERE tenant = ? ORDER BY created_at').all(tenant);
    return rows.map(toToken);
  }

  policy(tenant: string, name: string): readonly PolicyRule[] | undefined {
    return this.policyMemo.get(JSON.stringify([tenant, name]), () => {
      const row = this.sql('SELECT rules FROM control_policies WHERE tenant = ? AND name = ?').get(
        tenant,
        name,
      );
      return row ? (JSON.parse(String(row.rules)) as PolicyRule[]) : undefined;
    });
  }

  policies(tenant: string): Array<{ name: string; rules: PolicyRule[] }> {
    return this.sql('SELECT name, rules FROM control_policies WHERE tenant = ? ORDER BY name')
      .all(tenant)
      .map((row) => ({ name: String(row.name), rules: JSON.parse(String(row.rules)) as PolicyRule[] }));
  }
}

function toApproval(row: Record<string, unknown>): ApprovalRecord {
  return {
    approvalId: String(row.approval_id),
    kind: row.kind === 'grant' ? 'grant' : 'break-glass',
    tenant: String(row.tenant),
    grantee: String(row.grantee),
    namespace: String(row.namespace),
    name: String(row.name),
    capabilities: JSON.parse(String(row.capabilities)) as Capability[],
    reason: String(row.reason),
    grantedBy: typeof row.granted_by === 'string' ? row.granted_by : null,
    grantedAt: Number(row.granted_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    revokedBy: typeof row.revoked_by === 'string' ? row.revoked_by : null,
  };
}

function toToken(row: Record<string, unknown>): TokenRecord {
  return {
    accessor: String(row.accessor),
    tokenHash: String(row.token_hash),
    creator: typeof row.creator === 'string' ? row.creator : null,
    tenant: typeof row.tenant === 'string' ? row.tenant : null,
    policies: JSON.parse(String(row.policies)) as string[],
    displayName: String(row.display_name),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    bootstrap: Number(row.bootstrap ?? 0) === 1,
  };
}
