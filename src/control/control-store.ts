// The control view: tenants, token hashes and policies, as applied from the control partition (I-V1).
import { addColumnIfMissing, migrateSchema, type Migration } from '../platform/schema-migrations.ts';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StatementCache } from '../platform/statement-cache.ts';
import type { ControlEntry, PolicyRule } from './control-entry.ts';

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
];

export class ControlStore {
  private readonly db: DatabaseSync;
  private readonly statements: StatementCache;
  /** Whose verifier of each token this store keeps: a token is usable here only if it names this node. */
  readonly nodeId: string;

  constructor(db: DatabaseSync, nodeId: string) {
    this.db = db;
    this.nodeId = nodeId;
    this.statements = new StatementCache(db);
    migrateSchema(db, 'control', CONTROL_MIGRATIONS);
  }

  private sql(text: string): StatementSync {
    return this.statements.get(text);
  }

  /** Applies one control record; deterministic and idempotent on replay (I-X1). */
  apply(entry: ControlEntry): void {
    switch (entry.type) {
      case 'tenant-create':
        this.sql('INSERT OR IGNORE INTO control_tenants (tenant, created_at) VALUES (?, ?)').run(
          entry.tenant,
          entry.time,
        );
        return;
      case 'token-create': {
        const verifier = entry.verifiers[this.nodeId];
        if (verifier === undefined || (entry.tenant !== null && !this.tenantExists(entry.tenant))) return;
        // A child never outlives its creator, and a revoked creator creates nothing (I-T5).
        const creator = entry.creator === null ? undefined : this.tokenByAccessor(entry.creator);
        if (entry.creator !== null && (!creator || creator.revokedAt !== null)) return;
        const expiresAt =
          creator?.expiresAt == null
            ? entry.expiresAt
            : Math.min(entry.expiresAt ?? creator.expiresAt, creator.expiresAt);
        this.sql(
          `INSERT OR IGNORE INTO control_tokens
           (accessor, token_hash, tenant, policies, display_name, expires_at, created_at, creator)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          entry.accessor,
          verifier,
          entry.tenant,
          JSON.stringify(entry.policies),
          entry.displayName,
          expiresAt,
          entry.time,
          entry.creator,
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

  tenantExists(tenant: string): boolean {
    return this.sql('SELECT 1 FROM control_tenants WHERE tenant = ?').get(tenant) !== undefined;
  }

  tenants(): string[] {
    return this.sql('SELECT tenant FROM control_tenants ORDER BY tenant')
      .all()
      .map((row) => String(row.tenant));
  }

  tokenByHash(tokenHash: string): TokenRecord | undefined {
    const row = this.sql('SELECT * FROM control_tokens WHERE token_hash = ?').get(tokenHash);
    return row ? toToken(row) : undefined;
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

  policy(tenant: string, name: string): PolicyRule[] | undefined {
    const row = this.sql('SELECT rules FROM control_policies WHERE tenant = ? AND name = ?').get(
      tenant,
      name,
    );
    return row ? (JSON.parse(String(row.rules)) as PolicyRule[]) : undefined;
  }

  policies(tenant: string): Array<{ name: string; rules: PolicyRule[] }> {
    return this.sql('SELECT name, rules FROM control_policies WHERE tenant = ? ORDER BY name')
      .all(tenant)
      .map((row) => ({ name: String(row.name), rules: JSON.parse(String(row.rules)) as PolicyRule[] }));
  }
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
  };
}
