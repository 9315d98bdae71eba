// The view's side of proactive share refresh (I-R1): each refresh started, committed or aborted, and each
// version's current share generation. Written only by the state machine, so it is a function of the log
// prefix like the rest of the view (I-V1); times are log times (I-X4).
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SecretKey } from '../kernel/secret-key.ts';
import { StatementCache } from '../platform/statement-cache.ts';

export type RefreshState = 'pending' | 'committed' | 'aborted';

/** One refresh session of one version, from its `refresh-start` record. */
export interface RefreshRecord {
  readonly session: string;
  readonly partition: number;
  /** The refresh-start's log offset: every receipt and every mask of the session is bound to it (I-R4). */
  readonly startOffset: number;
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  /** The generation the refresh creates (the version's current one + 1). */
  readonly generation: number;
  /** Shard indexes that held a commitment when it started: every one of them must sign. */
  readonly participants: readonly number[];
  /** The member that signed the start: only its commit and abort count. */
  readonly refresher: string;
  readonly state: RefreshState;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly reason: string | null;
}

/** A version as a refresh sees it: its current generation and when it was last refreshed (log time). */
export interface RefreshableVersion extends SecretKey {
  readonly version: number;
  readonly writeId: string;
  readonly generation: number;
  readonly validFrom: number;
  readonly refreshedAt: number | null;
}

type Row = Record<string, unknown>;

const text = (value: unknown): string => String(value);

const toRefresh = (row: Row): RefreshRecord => ({
  session: String(row.session),
  partition: Number(row.partition),
  startOffset: Number(row.start_offset),
  tenant: String(row.tenant),
  namespace: String(row.namespace),
  name: String(row.name),
  version: Number(row.version),
  writeId: String(row.write_id),
  generation: Number(row.generation),
  participants: JSON.parse(String(row.participants)) as number[],
  refresher: String(row.refresher),
  state: String(row.state) as RefreshState,
  startedAt: Number(row.started_at),
  finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  reason: row.reason === null ? null : text(row.reason),
});

const VERSION = 'tenant = ? AND namespace = ? AND name = ? AND version = ?';

export class RefreshView {
  private readonly statements: StatementCache;

  /** Told before a version row changes here, so the view's memo of it is forgotten (CommittedMemo). */
  readonly #versionChanging: (key: SecretKey, version: number) => void;

  constructor(db: DatabaseSync, versionChanging: (key: SecretKey, version: number) => void = () => {}) {
    this.statements = new StatementCache(db);
    this.#versionChanging = versionChanging;
    // Its tables are the view's third migration (src/view/schema.ts), run before this is built.
  }

  private sql(text: string): StatementSync {
    return this.statements.get(text);
  }

  start(record: Omit<RefreshRecord, 'state' | 'finishedAt' | 'reason'>): void {
    this.sql(
      `INSERT INTO view_refreshes (session, partition, start_offset, tenant, namespace, name, version, write_id,
         generation, participants, refresher, state, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
    ).run(
      record.session,
      record.partition,
      record.startOffset,
      record.tenant,
      record.namespace,
      record.name,
      record.version,
      record.writeId,
      record.generation,
      JSON.stringify(record.participants),
      record.refresher,
      record.startedAt,
    );
  }

  /**
   * The session of this id on this partition. Sessions are per partition (I-X1): a node applies partitions in
   * its own order, so nothing one partition's records decide may depend on another's.
   */
  get(partition: number, session: string): RefreshRecord | undefined {
    const row = this.sql('SELECT * FROM view_refreshes WHERE partition = ? AND session = ?').get(
      partition,
      session,
    );
    return row ? toRefresh(row) : undefined;
  }

  /** The refresh of this version in progress, if any (at most one: the state machine sees to it). */
  pendingFor(key: SecretKey, version: number): RefreshRecord | undefined {
    const row = this.sql(`SELECT * FROM view_refreshes WHERE ${VERSION} AND state = 'pending'`).get(
      key.tenant,
      key.namespace,
      key.name,
      version,
    );
    return row ? toRefresh(row) : undefined;
  }

  finish(
    refresh: Pick<RefreshRecord, 'partition' | 'session'>,
    state: 'committed' | 'aborted',
    at: number,
    reason: string | null,
  ): void {
    this.sql(
      'UPDATE view_refreshes SET state = ?, finished_at = ?, reason = ? WHERE partition = ? AND session = ?',
    ).run(state, at, reason, refresh.partition, refresh.session);
  }

  /** Refreshes of a partition still pending that started before `before` (log time), oldest first. */
  startedBefore(partition: number, before: number): RefreshRecord[] {
    return this.sql(
      `SELECT * FROM view_refreshes WHERE partition = ? AND state = 'pending' AND started_at < ?
       ORDER BY started_at, session`,
    )
      .all(partition, before)
      .map(toRefresh);
  }

  oldestPendingStart(partition: number): number | undefined {
    const row = this.sql(
      `SELECT MIN(started_at) AS t FROM view_refreshes WHERE partition = ? AND state = 'pending'`,
    ).get(partition);
    return row?.t === null || row?.t === undefined ? undefined : Number(row.t);
  }

  /** Refreshes of the tenant started at or after `since` (log time): the per-tenant rate limit. */
  startsSince(tenant: string, since: number): number {
    const row = this.sql('SELECT COUNT(*) AS c FROM view_refreshes WHERE tenant = ? AND started_at >= ?').get(
      tenant,
      since,
    );
    return Number(row?.c ?? 0);
  }

  /**
   * Forgets the partition's finished refreshes that ended before `before` (that partition's log time): only
   * status reads them. Never another partition's: its log time is not this one's (I-X1).
   */
  prune(partition: number, before: number): void {
    this.sql(`DELETE FROM view_refreshes WHERE partition = ? AND state <> 'pending' AND finished_at < ?`).run(
      partition,
      before,
    );
  }

  /** The log time of the latest refresh-commit still remembered, or undefined (cheap: a small table). */
  lastCommittedAt(): number | undefined {
    const row = this.sql(`SELECT MAX(finished_at) AS t FROM view_refreshes WHERE state = 'committed'`).get();
    return row?.t === null || row?.t === undefined ? undefined : Number(row.t);
  }

  /** When the version's shares were last refreshed (log time), or null when never. */
  refreshedAt(key: SecretKey, version: number): number | null {
    const row = this.sql(`SELECT refreshed_at FROM view_versions WHERE ${VERSION}`).get(
      key.tenant,
      key.namespace,
      key.name,
      version,
    );
    return row?.refreshed_at === null || row?.refreshed_at === undefined ? null : Number(row.refreshed_at);
  }

  /** refresh-commit: the version's current generation, commitments and holders change together. */
  switchGeneration(
    key: SecretKey,
    version: number,
    change: {
      generation: number;
      commitments: Record<string, string>;
      holders: readonly string[];
      at: number;
    },
  ): void {
    this.#versionChanging(key, version);
    this.sql(
      `UPDATE view_versions SET generation = ?, commitments = ?, holders = ?, refreshed_at = ? WHERE ${VERSION}`,
    ).run(
      change.generation,
      JSON.stringify(change.commitments),
      JSON.stringify(change.holders),
      change.at,
      key.tenant,
      key.namespace,
      key.name,
      version,
    );
  }

  /** Every version of the tenant with its generation, in key order. */
  versionsOf(tenant: string): RefreshableVersion[] {
    return this.sql(
      `SELECT namespace, name, version, write_id, generation, valid_from, refreshed_at FROM view_versions
       WHERE tenant = ? ORDER BY namespace, name, version`,
    )
      .all(tenant)
      .map((row) => ({
        tenant,
        namespace: String(row.namespace),
        name: String(row.name),
        version: Number(row.version),
        writeId: String(row.write_id),
        generation: Number(row.generation),
        validFrom: Number(row.valid_from),
        refreshedAt: row.refreshed_at === null ? null : Number(row.refreshed_at),
      }));
  }

  /** How many versions are at each generation, per tenant (status and the metric). */
  generationCounts(tenant?: string): Array<{ tenant: string; generation: number; versions: number }> {
    const rows =
      tenant === undefined
        ? this.sql(
            'SELECT tenant, generation, COUNT(*) AS c FROM view_versions GROUP BY tenant, generation',
          ).all()
        : this.sql(
            'SELECT tenant, generation, COUNT(*) AS c FROM view_versions WHERE tenant = ? GROUP BY tenant, generation',
          ).all(tenant);
    return rows.map((row) => ({
      tenant: String(row.tenant),
      generation: Number(row.generation),
      versions: Number(row.c),
    }));
  }

  /** Refreshes in progress, per tenant. */
  pendingCounts(): Map<string, number> {
    return new Map(
      this.sql(`SELECT tenant, COUNT(*) AS c FROM view_refreshes WHERE state = 'pending' GROUP BY tenant`)
        .all()
        .map((row) => [String(row.tenant), Number(row.c)]),
    );
  }
}
