// ShardStore on the node's SQLite database; every shard goes through the ShardSealer seam (I-S1, I-S2).
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StatementCache } from '../../platform/statement-cache.ts';
import { WalSync } from '../../platform/wal-sync.ts';
import type { SecretKey } from '../../kernel/secret-key.ts';
import type { ShardSealer } from '../shard-sealer.ts';
import type {
  GenerationAddress,
  SealedShard,
  ShardAddress,
  ShardState,
  ShardStore,
  StoredSealedShard,
} from '../shard-store.ts';
import { migrateShards } from './shard-schema.ts';

export class SqliteShardStore implements ShardStore {
  private readonly db: DatabaseSync;
  private readonly sealer: ShardSealer;
  private readonly nodeId: string;
  private readonly statements: StatementCache;
  private readonly wal: WalSync;

  constructor(db: DatabaseSync, sealer: ShardSealer, nodeId: string) {
    this.db = db;
    this.statements = new StatementCache(db);
    this.wal = new WalSync(db);
    this.sealer = sealer;
    this.nodeId = nodeId;
    migrateShards(db);
    // Deleted rows are overwritten, not just unlinked: a superseded generation, a discarded refresh and a
    // destroyed secret leave no sealed share in the file's free pages (proactive refresh, I-R1).
    db.exec('PRAGMA secure_delete = ON');
  }

  get sealerKind(): string {
    return this.sealer.kind;
  }

  private sql(text: string): StatementSync {
    return this.statements.get(text);
  }

  private identity(address: ShardAddress, index: number) {
    const { key, version, writeId, generation = 0 } = address;
    return {
      ...key,
      version,
      writeId,
      index,
      node: this.nodeId,
      ...(generation === 0 ? {} : { generation }),
    };
  }

  async seal(address: ShardAddress, index: number, share: Uint8Array): Promise<SealedShard> {
    return { address, index, sealed: await this.sealer.seal(this.identity(address, index), share) };
  }

  put(shard: SealedShard, state: ShardState): void {
    const { address, index, sealed } = shard;
    const { key } = address;
    // A retried stage of the same write replaces its own row; it can never touch another write's shard.
    this.sql(
      `INSERT INTO shards (tenant, namespace, name, version, write_id, idx, state, sealed, key_id, generation)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, namespace, name, version, write_id, generation)
       DO UPDATE SET idx = excluded.idx, sealed = excluded.sealed, key_id = excluded.key_id,
         state = CASE WHEN shards.state = 'committed' THEN 'committed' ELSE excluded.state END`,
    ).run(
      key.tenant,
      key.namespace,
      key.name,
      address.version,
      address.writeId,
      index,
      state,
      sealed,
      this.sealer.keyIdOf?.(sealed) ?? null,
      address.generation ?? 0,
    );
  }

  flush(): Promise<void> {
    return this.wal.sync();
  }

  /** Releases the WAL descriptor flush() keeps; call before closing the database. */
  close(): Promise<void> {
    return this.wal.close();
  }

  /** WAL fdatasyncs so far (the benchmark reports them per operation). */
  get syncs(): number {
    return this.wal.syncs;
  }

  async read(address: ShardAddress): Promise<{ index: number; share: Uint8Array } | undefined> {
    const { key } = address;
    const row = this.sql(
      `SELECT idx, sealed FROM shards WHERE tenant = ? AND namespace = ? AND name = ? AND version = ?
       AND write_id = ? AND generation = ? AND state = 'committed'`,
    ).get(key.tenant, key.namespace, key.name, address.version, address.writeId, address.generation ?? 0);
    if (!row) return undefined;
    const index = Number(row.idx);
    try {
      const share = await this.sealer.open(this.identity(address, index), row.sealed as Uint8Array);
      return { index, share };
    } catch {
      // I-S2 / I-C1: a shard that does not open under its identity counts as missing, never as data.
      return undefined;
    }
  }

  holds(address: ShardAddress): boolean {
    return this.#stored(address, '');
  }

  hasCommitted(address: ShardAddress): boolean {
    return this.#stored(address, ` AND state = 'committed'`);
  }

  /** Whether a row is stored at `address` (generation 0 when absent), narrowed by `and`. */
  #stored(address: ShardAddress, and: '' | ` AND state = 'committed'`): boolean {
    const { key } = address;
    return (
      this.sql(
        `SELECT 1 FROM shards WHERE tenant = ? AND namespace = ? AND name = ? AND version = ? AND write_id = ?
         AND generation = ?${and}`,
      ).get(
        key.tenant,
        key.namespace,
        key.name,
        address.version,
        address.writeId,
        address.generation ?? 0,
      ) !== undefined
    );
  }

  promote(writeId: string): void {
    this.sql(`UPDATE shards SET state = 'committed' WHERE write_id = ? AND state = 'staged'`).run(writeId);
  }

  discardStaged(writeId: string): void {
    this.sql(`DELETE FROM shards WHERE write_id = ? AND state = 'staged'`).run(writeId);
  }

  destroyKey(key: SecretKey): void {
    this.sql('DELETE FROM shards WHERE tenant = ? AND namespace = ? AND name = ?').run(
      key.tenant,
      key.namespace,
      key.name,
    );
  }

  destroyVersionExcept(key: SecretKey, version: number, keepWriteId: string): void {
    this.sql(
      'DELETE FROM shards WHERE tenant = ? AND namespace = ? AND name = ? AND version = ? AND write_id <> ?',
    ).run(key.tenant, key.namespace, key.name, version, keepWriteId);
  }

  destroyTenant(tenant: string): void {
    this.sql('DELETE FROM shards WHERE tenant = ?').run(tenant);
  }

  keyUsage(): Array<{ tenant: string; keyId: number | null; shards: number }> {
    return this.sql(
      'SELECT tenant, key_id, COUNT(*) AS c FROM shards GROUP BY tenant, key_id ORDER BY tenant, key_id',
    )
      .all()
      .map((row) => ({
        tenant: String(row.tenant),
        keyId: row.key_id === null ? null : Number(row.key_id),
        shards: Number(row.c),
      }));
  }

  sealedUnderOtherKeys(tenant: string, keyId: number, limit: number): StoredSealedShard[] {
    return this.sql(
      `SELECT namespace, name, version, write_id, idx, sealed, key_id, generation FROM shards
       WHERE tenant = ? AND (key_id IS NULL OR key_id <> ?) LIMIT ?`,
    )
      .all(tenant, keyId, limit)
      .map((row) => ({
        address: {
          key: { tenant, namespace: String(row.namespace), name: String(row.name) },
          version: Number(row.version),
          writeId: String(row.write_id),
          generation: Number(row.generation),
        },
        index: Number(row.idx),
        sealed: row.sealed as Uint8Array,
        keyId: row.key_id === null ? null : Number(row.key_id),
      }));
  }

  async open(shard: SealedShard): Promise<Uint8Array> {
    return this.sealer.open(this.identity(shard.address, shard.index), shard.sealed);
  }

  async reseal(shard: StoredSealedShard, share: Uint8Array): Promise<boolean> {
    const fresh = await this.seal(shard.address, shard.index, share);
    const { key } = shard.address;
    const result = this.sql(
      `UPDATE shards SET sealed = ?, key_id = ? WHERE tenant = ? AND namespace = ? AND name = ? AND version = ?
       AND write_id = ? AND generation = ? AND sealed = ?`,
    ).run(
      fresh.sealed,
      this.sealer.keyIdOf?.(fresh.sealed) ?? null,
      key.tenant,
      key.namespace,
      key.name,
      shard.address.version,
      shard.address.writeId,
      shard.address.generation ?? 0,
      shard.sealed,
    );
    return Number(result.changes) === 1;
  }

  promoteGeneration(address: GenerationAddress): void {
    this.atGeneration(`UPDATE shards SET state = 'committed'`, "state = 'staged'", address);
  }

  discardGeneration(address: GenerationAddress): void {
    this.atGeneration('DELETE FROM shards', "state = 'staged'", address);
  }

  deleteGeneration(address: GenerationAddress): void {
    this.atGeneration('DELETE FROM shards', "state = 'committed'", address);
  }

  supersededGenerations(limit: number): GenerationAddress[] {
    return this.sql(
      `SELECT tenant, namespace, name, version, write_id, generation FROM shards s WHERE state = 'committed'
       AND EXISTS (SELECT 1 FROM shards t WHERE t.tenant = s.tenant AND t.namespace = s.namespace
         AND t.name = s.name AND t.version = s.version AND t.write_id = s.write_id
         AND t.generation > s.generation AND t.state = 'committed') LIMIT ?`,
    )
      .all(limit)
      .map((row) => ({
        key: { tenant: String(row.tenant), namespace: String(row.namespace), name: String(row.name) },
        version: Number(row.version),
        writeId: String(row.write_id),
        generation: Number(row.generation),
      }));
  }

  async scrub(): Promise<void> {
    await this.wal.sync();
    // The WAL still holds the frames that carried the deleted rows: copy what is current into the database
    // (whose freed pages secure_delete zeroed) and cut the WAL to nothing.
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /** One statement on the shard of one version at one generation, in one state. */
  private atGeneration(statement: string, state: string, address: GenerationAddress): void {
    const { key } = address;
    this.sql(
      `${statement} WHERE tenant = ? AND namespace = ? AND name = ? AND version = ? AND write_id = ?
       AND generation = ? AND ${state}`,
    ).run(key.tenant, key.namespace, key.name, address.version, address.writeId, address.generation);
  }

  counts(): Record<ShardState, number> {
    const result: Record<ShardState, number> = { staged: 0, committed: 0 };
    for (const row of this.sql('SELECT state, COUNT(*) AS c FROM shards GROUP BY state').all()) {
      result[String(row.state) as ShardState] = Number(row.c);
    }
    return result;
  }
}
