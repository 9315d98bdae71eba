// DSV's own, read-only counts of the syncs it asks for (group-commit batches), to set beside strace's count
// of the sync calls the process makes: the difference is SQLite's own syncs (checkpoints) and anything else.
import { JsonlAuditSink } from '../src/audit/jsonl/jsonl-audit-sink.ts';
import { PartitionFile } from '../src/log/embedded/partition-file.ts';
import type { DevCluster } from '../src/node/dev-cluster.ts';
import { WalSync } from '../src/platform/wal-sync.ts';
import type { SyncCalls } from './fsync-count.ts';
import type { DsvOperation } from './measurement.ts';

export interface InProcessSyncs {
  /** Embedded-log batches synced (one O_DSYNC write each), every partition of every log in this process. */
  readonly logBatches: number;
  /** Audit-trail batches synced (one O_DSYNC write each), every node's sink in this process. */
  readonly auditBatches: number;
  /** Node-database WAL syncs (stages, recoveries: I-X3), or undefined where the counter is not reachable. */
  readonly walSyncs: number | undefined;
}

/**
 * The shard store's WalSync is a private detail of SqliteShardStore; it is read here without changing it,
 * and reported as missing (never as 0) if the store is built differently.
 */
function walSyncsOf(clusters: readonly DevCluster[]): number | undefined {
  let total = 0;
  for (const cluster of clusters) {
    for (const node of cluster.nodesById.values()) {
      const shards: unknown = node.coordinator?.context.shards;
      const wal = (shards as { wal?: unknown } | undefined)?.wal;
      if (!(wal instanceof WalSync)) return undefined;
      total += wal.syncs;
    }
  }
  return total;
}

export function readInProcessSyncs(clusters: readonly DevCluster[]): InProcessSyncs {
  return {
    logBatches: PartitionFile.batchSyncs,
    auditBatches: JsonlAuditSink.batchSyncs,
    walSyncs: walSyncsOf(clusters),
  };
}

export function syncsBetween(before: InProcessSyncs, after: InProcessSyncs): InProcessSyncs {
  return {
    logBatches: after.logBatches - before.logBatches,
    auditBatches: after.auditBatches - before.auditBatches,
    walSyncs:
      after.walSyncs === undefined || before.walSyncs === undefined
        ? undefined
        : after.walSyncs - before.walSyncs,
  };
}

/** Sync calls of one counting pass: a fixed number of operations of one workload, traced after its slices. */
export interface SyncCount {
  readonly operation: DsvOperation;
  readonly concurrency: number;
  /** Requests sent (every one answered correctly, or counted in `errors`). */
  readonly operations: number;
  readonly seconds: number;
  readonly calls: SyncCalls;
  readonly inProcess: InProcessSyncs;
  readonly errors: Record<string, number>;
}

export interface SyncFigures {
  /** Which target the passes drove (the other cluster, idle, is in the same process). */
  readonly target: string;
  readonly counts: readonly SyncCount[];
  /** No request at all for `seconds`: the background's share of every pass. */
  readonly idle?: { readonly seconds: number; readonly calls: SyncCalls; readonly inProcess: InProcessSyncs };
  /** Set when nothing (or not everything) could be counted: why. */
  readonly notCounted?: string;
}
