// Readiness of one node (issue 11): /livez says the process serves, /readyz whether this node can do useful
// work — the commit log answers and this node has caught up, the KEK is unsealed, enough peers are up for a
// write quorum, the audit trail accepts records and the data, audit and log dirs are above their disk warning
// threshold (DiskWatch, I-C5). The answer names checks, never
// a secret, a tenant or a path inside the vault.
import { withTimeout } from '../platform/with-timeout.ts';

export type ReadinessReason = 'log' | 'log-lag' | 'kek' | 'peers' | 'audit' | 'disk';

export interface ReadinessCheck {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: ReadinessReason[];
  readonly checks: Record<ReadinessReason, ReadinessCheck>;
}

export interface ReadinessSources {
  readonly partitions: number;
  /** The control partition: its end offset must answer within `logTimeoutMs`. */
  readonly controlPartition: number;
  endOffset(partition: number): Promise<number>;
  applied(partition: number): number;
  /** The KEK is unsealed: the sealer (and its keyring) is open. */
  kekOpen(): boolean;
  /** Healthy peers as membership sees them, and how many other nodes a write quorum needs (W − 1). */
  healthyPeers(): number;
  readonly peersNeeded: number;
  /** The audit sink is in its failed state (it refuses every append until reopened). */
  auditFailed(): boolean;
  readonly logTimeoutMs: number;
  /** Applied offsets may trail the log's end by at most this many records per partition. */
  readonly maxLagRecords: number;
  /** The partition whose applying has failed at one offset for a while (LogApplier.stalled), if any. */
  stalledApply?(): { partition: number; offset: number; seconds: number } | undefined;
  /** Free space of the data, audit and local log dirs above the warning thresholds (DiskWatch, I-C5). */
  disk(): Promise<ReadinessCheck>;
}

/** Applying that has failed at one offset this long makes a node not ready (a retry loop is not progress). */
export const STALLED_APPLY_MS = 10_000;

const ok = (detail: string): ReadinessCheck => ({ ok: true, detail });
const bad = (detail: string): ReadinessCheck => ({ ok: false, detail });

export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const [logChecks, disk] = await Promise.all([checkLog(sources), checkDisk(sources)]);
  const healthy = sources.healthyPeers();
  const checks: Record<ReadinessReason, ReadinessCheck> = {
    ...logChecks,
    kek: sources.kekOpen() ? ok('unsealed') : bad('sealed: the key-encryption key is not open'),
    peers:
      healthy >= sources.peersNeeded
        ? ok(`${healthy} peers healthy, ${sources.peersNeeded} needed for a write quorum`)
        : bad(`${healthy} peers healthy, ${sources.peersNeeded} needed for a write quorum`),
    audit: sources.auditFailed()
      ? bad('the audit trail failed and refuses records until the node restarts')
      : ok('writable'),
    disk,
  };
  const reasons = (Object.keys(checks) as ReadinessReason[]).filter((name) => !checks[name].ok);
  return { ready: reasons.length === 0, reasons, checks };
}

async function checkLog(sources: ReadinessSources): Promise<Pick<Readiness['checks'], 'log' | 'log-lag'>> {
  let control: number;
  try {
    control = await withTimeout(sources.endOffset(sources.controlPartition), sources.logTimeoutMs);
  } catch {
    return {
      log: bad(`the commit log did not answer within ${sources.logTimeoutMs} ms`),
      'log-lag': bad('unknown: the commit log does not answer'),
    };
  }
  let ends: number[];
  try {
    ends = await withTimeout(
      Promise.all(
        Array.from({ length: sources.partitions }, (_, partition) =>
          partition === sources.controlPartition ? Promise.resolve(control) : sources.endOffset(partition),
        ),
      ),
      sources.logTimeoutMs,
    );
  } catch {
    return {
      log: bad(`a partition of the commit log did not answer within ${sources.logTimeoutMs} ms`),
      'log-lag': bad('unknown: the commit log does not answer'),
    };
  }
  const lag = ends.map((end, partition) => Math.max(0, end - sources.applied(partition)));
  const worst = Math.max(0, ...lag);
  const stalled = sources.stalledApply?.();
  if (stalled) {
    const { partition, offset, seconds } = stalled;
    return {
      log: ok('reachable'),
      'log-lag': bad(`applying partition ${partition} has failed at offset ${offset} for ${seconds} s`),
    };
  }
  return {
    log: ok('reachable'),
    'log-lag':
      worst <= sources.maxLagRecords
        ? ok(`at most ${worst} records behind`)
        : bad(`${worst} records behind on partition ${lag.indexOf(worst)} (bound ${sources.maxLagRecords})`),
  };
}

async function checkDisk(sources: ReadinessSources): Promise<ReadinessCheck> {
  try {
    return await sources.disk();
  } catch (error) {
    return bad(`cannot read free space: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
