// Prometheus metrics of one node (issue 11): one Registry per node, since `dsv dev` runs several nodes in one
// process. Labels are route patterns, partitions, peer node ids, reasons and status codes — never a secret
// name or a namespace (names are secret), and no tenant: /metrics answers without a token, and which tenants a
// cluster serves is its customers' business. Key usage per DEK is labelled by `key_id` alone (unique per node);
// `dsv keys status`, which needs a token, says whose key an id is.
import type { DatabaseSync } from 'node:sqlite';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditSink } from '../audit/index.ts';
import type { ShardHolder } from '../cluster/index.ts';
import type { CommitLog } from '../log/index.ts';
import { DISK_STATE_VALUE, type DiskSample } from './disk-watch.ts';
import { withTimeout } from '../platform/with-timeout.ts';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const seconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;

/** What the periodic and per-scrape gauges read from the running node. */
export interface MetricsSources {
  readonly partitions: number;
  applied(partition: number): number;
  endOffset(partition: number): Promise<number>;
  rejectedRecords(): Record<string, number>;
  /** Data keys (DEKs) in use: how many tenants have keys, and how many keys in all. */
  dataKeys(): { tenants: number; keys: number };
  /** Shards sealed under each DEK, per tenant (one indexed GROUP BY over `shards_by_key`). */
  keyUsage(): ReadonlyArray<{ tenant: string; keyId: number | null; shards: number }>;
  /** Each tenant's active DEK id (tenants with a key on a node with a keyring). */
  activeKeys(): ReadonlyArray<{ tenant: string; keyId: number }>;
}

/** The `key_id` label of shards whose envelope names no keyring DEK (a sealer without one). */
export const NO_KEY_ID = 'none';

export class NodeMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly logAppend: Histogram<'outcome'>;
  readonly shardCall: Histogram<'peer' | 'operation' | 'outcome'>;
  readonly auditAppend: Histogram<'outcome'>;
  readonly auditQueue: Gauge;
  readonly recoveries: Counter;
  readonly antiEntropyPasses: Counter;
  readonly antiEntropyMissing: Counter;
  readonly antiEntropyRepaired: Counter;
  readonly versions: Gauge<'redundancy'>;
  readonly versionsByGeneration: Gauge<'generation'>;
  readonly dataKeys: Gauge;
  readonly dataKeyTenants: Gauge;
  readonly dataKeyShards: Gauge<'key_id'>;
  readonly dataKeyActive: Gauge<'key_id'>;
  readonly diskWritesRefused: Counter;
  #auditInFlight = 0;
  #auditLastFailed = false;

  constructor(nodeId: string) {
    const registerers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    this.httpRequests = new Counter({
      name: 'dsv_http_requests_total',
      help: 'Public API requests by route pattern, method and status code',
      labelNames: ['method', 'route', 'status'],
      registers: registerers,
    });
    this.httpDuration = new Histogram({
      name: 'dsv_http_request_duration_seconds',
      help: 'Public API request latency by route pattern, method and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: registerers,
    });
    this.logAppend = new Histogram({
      name: 'dsv_log_append_duration_seconds',
      help: 'Commit log append latency (until durable)',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: registerers,
    });
    this.shardCall = new Histogram({
      name: 'dsv_shard_call_duration_seconds',
      help: 'Shard holder call latency by peer and operation (stage, read)',
      labelNames: ['peer', 'operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: registerers,
    });
    this.auditAppend = new Histogram({
      name: 'dsv_audit_append_duration_seconds',
      help: 'Audit record append latency (until durable)',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: registerers,
    });
    this.auditQueue = new Gauge({
      name: 'dsv_audit_queue_depth',
      help: 'Audit records accepted but not yet durable',
      registers: registerers,
    });
    this.recoveries = new Counter({
      name: 'dsv_share_recoveries_total',
      help: 'Shard recoveries (share-restored) scheduled for a missing local shard',
      registers: registerers,
    });
    this.antiEntropyPasses = new Counter({
      name: 'dsv_anti_entropy_passes_total',
      help: 'Anti-entropy passes completed',
      registers: registerers,
    });
    this.antiEntropyMissing = new Counter({
      name: 'dsv_anti_entropy_missing_total',
      help: 'Shards found missing by anti-entropy',
      registers: registerers,
    });
    this.antiEntropyRepaired = new Counter({
      name: 'dsv_anti_entropy_repaired_total',
      help: 'Shards restored by anti-entropy',
      registers: registerers,
    });
    this.versions = new Gauge({
      name: 'dsv_versions',
      help: 'Secret versions in the view by redundancy: full (n holders) or degraded (fewer than n)',
      labelNames: ['redundancy'],
      registers: registerers,
    });
    this.versionsByGeneration = new Gauge({
      name: 'dsv_versions_by_generation',
      help: 'Secret versions in the view by share generation (proactive refresh; 0: never refreshed)',
      labelNames: ['generation'],
      registers: registerers,
    });
    this.dataKeys = new Gauge({
      name: 'dsv_data_keys',
      help: 'Data keys (DEKs) this node holds, all tenants',
      registers: registerers,
    });
    this.dataKeyTenants = new Gauge({
      name: 'dsv_data_key_tenants',
      help: 'Tenants with at least one data key on this node',
      registers: registerers,
    });
    this.dataKeyShards = new Gauge({
      name: 'dsv_data_key_shards',
      help: 'Shards this node holds sealed under each data key (DEK), by key id (periodic)',
      labelNames: ['key_id'],
      registers: registerers,
    });
    this.dataKeyActive = new Gauge({
      name: 'dsv_data_key_active',
      help: 'The active data key (DEK) of each tenant on this node: 1 for its key id (periodic)',
      labelNames: ['key_id'],
      registers: registerers,
    });
    this.diskWritesRefused = new Counter({
      name: 'dsv_disk_writes_refused_total',
      help: 'Writes and stages refused because a watched disk is past its critical threshold (DSV_DISK_FULL)',
      registers: registerers,
    });
  }

  /** Free space per watched path role (data, log, audit) and the state: 0 ok, 1 warning, 2 critical (I-C5). */
  attachDisk(samples: () => readonly DiskSample[]): void {
    const registerers = [this.registry];
    new Gauge({
      name: 'dsv_disk_free_bytes',
      help: 'Free bytes (available to the node) of the file system under each watched path: data, log, audit',
      labelNames: ['path'],
      registers: registerers,
      collect() {
        for (const sample of samples()) this.set({ path: sample.role }, sample.freeBytes);
      },
    });
    new Gauge({
      name: 'dsv_disk_total_bytes',
      help: 'Size of the file system under each watched path: data, log, audit',
      labelNames: ['path'],
      registers: registerers,
      collect() {
        for (const sample of samples()) this.set({ path: sample.role }, sample.totalBytes);
      },
    });
    new Gauge({
      name: 'dsv_disk_state',
      help: 'Disk state per watched path: 0 ok, 1 warning (readiness says disk), 2 critical (writes refused)',
      labelNames: ['path'],
      registers: registerers,
      collect() {
        for (const sample of samples()) this.set({ path: sample.role }, DISK_STATE_VALUE[sample.state]);
      },
    });
  }

  /** Gauges read at scrape time (cheap ones) from the running node. */
  attach(sources: MetricsSources, logTimeoutMs = 1000): void {
    const registerers = [this.registry];
    new Gauge({
      name: 'dsv_log_applied_offset',
      help: 'Next offset this node will apply, per partition',
      labelNames: ['partition'],
      registers: registerers,
      collect() {
        for (let partition = 0; partition < sources.partitions; partition++)
          this.set({ partition: String(partition) }, sources.applied(partition));
      },
    });
    new Gauge({
      name: 'dsv_log_lag_records',
      help: 'Records appended to the log but not yet applied by this node, per partition',
      labelNames: ['partition'],
      registers: registerers,
      async collect() {
        this.reset();
        const ends = await withTimeout(
          Promise.all(Array.from({ length: sources.partitions }, (_, p) => sources.endOffset(p))),
          logTimeoutMs,
        ).catch(() => undefined);
        if (ends === undefined) return; // the log does not answer: /readyz says so; no made-up lag
        ends.forEach((end, partition) =>
          this.set({ partition: String(partition) }, Math.max(0, end - sources.applied(partition))),
        );
      },
    });
    new Gauge({
      name: 'dsv_log_records_refused',
      help: 'Log records this node refused (applied as no-ops), by reason',
      labelNames: ['reason'],
      registers: registerers,
      collect() {
        for (const [reason, count] of Object.entries(sources.rejectedRecords())) this.set({ reason }, count);
      },
    });
    void this.auditQueue; // set by the audit wrapper
  }

  /**
   * Recomputes the expensive gauges (versions by redundancy, data keys, shards per DEK); call periodically,
   * not per scrape.
   */
  refresh(db: DatabaseSync, n: number, sources: MetricsSources): void {
    const row = db
      .prepare(
        `SELECT COUNT(*) AS total,
                COALESCE(SUM(CASE WHEN json_array_length(holders) < ? THEN 1 ELSE 0 END), 0) AS degraded
           FROM view_versions`,
      )
      .get(n) as { total: number; degraded: number } | undefined;
    const total = Number(row?.total ?? 0);
    const degraded = Number(row?.degraded ?? 0);
    this.versions.set({ redundancy: 'full' }, total - degraded);
    this.versions.set({ redundancy: 'degraded' }, degraded);
    // Reset first, so a generation no version is at any more leaves the series.
    this.versionsByGeneration.reset();
    const generations = db
      .prepare('SELECT generation, COUNT(*) AS c FROM view_versions GROUP BY generation')
      .all() as Array<{ generation: number; c: number }>;
    for (const row of generations)
      this.versionsByGeneration.set({ generation: String(row.generation) }, row.c);
    const keys = sources.dataKeys();
    this.dataKeys.set(keys.keys);
    this.dataKeyTenants.set(keys.tenants);
    // Key usage per DEK: reset first, so a key the rewrap emptied or a shredded tenant leaves the series.
    const usage = sources.keyUsage();
    const active = sources.activeKeys();
    this.dataKeyShards.reset();
    this.dataKeyActive.reset();
    // Shards with no key id (sealed before key ids were recorded) are summed: there is one such series.
    const unkeyed = usage.filter((row) => row.keyId === null).reduce((sum, row) => sum + row.shards, 0);
    if (unkeyed > 0) this.dataKeyShards.set({ key_id: NO_KEY_ID }, unkeyed);
    for (const { keyId, shards } of usage)
      if (keyId !== null) this.dataKeyShards.set({ key_id: String(keyId) }, shards);
    for (const { tenant, keyId } of active) {
      this.dataKeyActive.set({ key_id: String(keyId) }, 1);
      // The active key shows up with 0 shards right after a rotation, before any write or rewrap.
      if (!usage.some((row) => row.tenant === tenant && row.keyId === keyId))
        this.dataKeyShards.set({ key_id: String(keyId) }, 0);
    }
  }

  /** The commit log, with append latency measured (every other call passes through). */
  timedLog(log: CommitLog): CommitLog {
    const histogram = this.logAppend;
    return {
      get partitionCount() {
        return log.partitionCount;
      },
      append: async (partition, key, value) => {
        const start = process.hrtime.bigint();
        try {
          const result = await log.append(partition, key, value);
          histogram.observe({ outcome: 'ok' }, seconds(start));
          return result;
        } catch (error) {
          histogram.observe({ outcome: 'error' }, seconds(start));
          throw error;
        }
      },
      read: (partition, fromOffset, options) => log.read(partition, fromOffset, options),
      endOffset: (partition) => log.endOffset(partition),
      identity: () => log.identity(),
      close: () => log.close(),
    };
  }

  /** A shard holder whose stage and read calls are timed under the holder's node id. */
  timedHolder(holder: ShardHolder, peer: string): ShardHolder {
    const histogram = this.shardCall;
    const timed =
      <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const start = process.hrtime.bigint();
        try {
          const result = await call(...args);
          histogram.observe({ peer, operation, outcome: 'ok' }, seconds(start));
          return result;
        } catch (error) {
          histogram.observe({ peer, operation, outcome: 'error' }, seconds(start));
          throw error;
        }
      };
    return {
      nodeId: holder.nodeId,
      stage: timed('stage', (request: Parameters<ShardHolder['stage']>[0]) => holder.stage(request)),
      read: timed('read', (request: Parameters<ShardHolder['read']>[0]) => holder.read(request)),
      endorse: (request) => holder.endorse(request),
      contribute: (request) => holder.contribute(request),
      awaitApplied: (partition, offset, timeoutMs) => holder.awaitApplied(partition, offset, timeoutMs),
    };
  }

  /** The last audit append failed for want of a durable trail (a decorated or remote sink; readiness). */
  get auditLastFailed(): boolean {
    return this.#auditLastFailed;
  }

  /** The audit sink, with append latency and the number of records waiting to be durable. */
  timedAudit(sink: AuditSink): AuditSink {
    const histogram = this.auditAppend;
    return {
      append: async (record) => {
        const start = process.hrtime.bigint();
        this.auditQueue.set(++this.#auditInFlight);
        try {
          const receipt = await sink.append(record);
          this.#auditLastFailed = false;
          histogram.observe({ outcome: 'ok' }, seconds(start));
          return receipt;
        } catch (error) {
          this.#auditLastFailed = (error as { code?: unknown }).code === 'DSV_AUDIT_UNAVAILABLE';
          histogram.observe({ outcome: 'error' }, seconds(start));
          throw error;
        } finally {
          this.auditQueue.set(--this.#auditInFlight);
        }
      },
      close: () => sink.close(),
    };
  }
}
