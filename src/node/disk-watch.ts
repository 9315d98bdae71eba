// Capacity limits (I-C5, issue 14): each node watches the free space of the file systems it writes — its data
// dir (SQLite: view and shards), its audit trail and, when the commit log is local (the embedded log), the
// log's directory. Past the warning threshold it says so (readiness reason `disk`, metrics); past the critical
// threshold it refuses new writes (DSV_DISK_FULL, 507) before anything is published or staged, so the space
// left stays for what must keep working: applying the log, deletes, and the audit records of reads.
import { statfs as fsStatfs } from 'node:fs/promises';
import { DsvError } from '../errors/index.ts';

export type DiskState = 'ok' | 'warning' | 'critical';

/** What a path is to the node; metrics and messages name the role, never the path. */
export type DiskRole = 'data' | 'log' | 'audit';

export interface DiskThresholds {
  /** Warning below this many free bytes, or below this fraction of the file system. */
  readonly warnFreeBytes: number;
  readonly warnFreeRatio: number;
  /** Critical (writes refused) below this many free bytes, or below this fraction. */
  readonly criticalFreeBytes: number;
  readonly criticalFreeRatio: number;
}

export interface DiskSample {
  readonly role: DiskRole;
  readonly state: DiskState;
  /** Bytes an unprivileged writer may still use (f_bavail × f_bsize). */
  readonly freeBytes: number;
  readonly totalBytes: number;
  readonly freeRatio: number;
  /** Set when statfs failed (the path is gone, permissions): reported, not treated as full. */
  readonly error?: string;
}

type Statfs = (
  path: string,
) => Promise<{ bavail: number | bigint; blocks: number | bigint; bsize: number | bigint }>;

export interface DiskWatchOptions {
  readonly paths: ReadonlyArray<{ readonly role: DiskRole; readonly path: string }>;
  readonly thresholds: DiskThresholds;
  /** Background sampling period; a write near the threshold samples again on demand. */
  readonly intervalMs?: number;
  /** Test seam. */
  readonly statfs?: Statfs;
  /** Told when the worst state changes (the node logs it). */
  readonly onChange?: (state: DiskState, samples: readonly DiskSample[]) => void;
  /** Told of every write refused for want of space (a metric). */
  readonly onRefused?: () => void;
}

const RANK: Record<DiskState, number> = { ok: 0, warning: 1, critical: 2 };
const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;

export function classify(freeBytes: number, freeRatio: number, thresholds: DiskThresholds): DiskState {
  if (freeBytes < thresholds.criticalFreeBytes || freeRatio < thresholds.criticalFreeRatio) return 'critical';
  if (freeBytes < thresholds.warnFreeBytes || freeRatio < thresholds.warnFreeRatio) return 'warning';
  return 'ok';
}

export class DiskWatch {
  readonly thresholds: DiskThresholds;
  private readonly options: DiskWatchOptions;
  private readonly statfs: Statfs;
  private readonly intervalMs: number;
  private current: readonly DiskSample[] = [];
  private sampledAt = 0;
  private inFlight: Promise<readonly DiskSample[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastState: DiskState = 'ok';

  constructor(options: DiskWatchOptions) {
    const t = options.thresholds;
    if (t.criticalFreeBytes > t.warnFreeBytes || t.criticalFreeRatio > t.warnFreeRatio)
      throw new RangeError('disk thresholds: critical must not exceed warning');
    this.options = options;
    this.thresholds = t;
    this.statfs = options.statfs ?? fsStatfs;
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** Samples now and then every `intervalMs` (unref'd: it never keeps a process alive). */
  async start(): Promise<void> {
    await this.sample();
    this.timer ??= setInterval(() => void this.sample().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The latest samples, one per watched path. */
  get samples(): readonly DiskSample[] {
    return this.current;
  }

  /** The worst state over every watched path. */
  get state(): DiskState {
    return worst(this.current);
  }

  /** statfs every watched path now (concurrent callers share one round). */
  sample(): Promise<readonly DiskSample[]> {
    this.inFlight ??= this.takeSamples().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Refuses a write (DSV_DISK_FULL) when a watched file system is past its critical threshold. While every
   * path is comfortably ok the last background sample answers; near or past a threshold (warning, critical)
   * or with a stale sample it samples again first, so a disk filling between two ticks is caught, and a
   * disk that was freed takes writes again at once.
   */
  async admitWrite(): Promise<void> {
    if (this.state !== 'ok' || Date.now() - this.sampledAt > 2 * this.intervalMs) await this.sample();
    const critical = this.current.filter((sample) => sample.state === 'critical');
    if (critical.length === 0) return;
    this.options.onRefused?.();
    throw new DsvError(
      'DSV_DISK_FULL',
      `Writes are refused: this node's ${critical.map((s) => s.role).join(' and ')} disk is nearly full ` +
        `(${critical.map((s) => `${mib(s.freeBytes)} free`).join(', ')}; critical below ` +
        `${mib(this.thresholds.criticalFreeBytes)} or ${pct(this.thresholds.criticalFreeRatio)}); reads still work`,
      { details: { retryAfterSeconds: 5 } },
    );
  }

  /** The readiness check (`disk`): ok only while every path is above its warning threshold. */
  async readiness(): Promise<{ ok: boolean; detail: string }> {
    const samples = this.current.length > 0 ? this.current : await this.sample();
    const t = this.thresholds;
    const parts = samples.map((s) =>
      s.error === undefined
        ? `${s.role}: ${mib(s.freeBytes)} free (${pct(s.freeRatio)})${s.state === 'ok' ? '' : ` ${s.state}`}`
        : `${s.role}: cannot read free space (${s.error})`,
    );
    const state = worst(samples);
    const bounds =
      `warning below ${mib(t.warnFreeBytes)} or ${pct(t.warnFreeRatio)}, ` +
      `critical below ${mib(t.criticalFreeBytes)} or ${pct(t.criticalFreeRatio)}`;
    if (state === 'ok') return { ok: !samples.some((s) => s.error !== undefined), detail: parts.join('; ') };
    return {
      ok: false,
      detail: `${parts.join('; ')} — ${bounds}${state === 'critical' ? '; writes are refused' : ''}`,
    };
  }

  private async takeSamples(): Promise<readonly DiskSample[]> {
    const samples = await Promise.all(
      this.options.paths.map(async ({ role, path }): Promise<DiskSample> => {
        try {
          const stats = await this.statfs(path);
          const freeBytes = Number(stats.bavail) * Number(stats.bsize);
          const totalBytes = Number(stats.blocks) * Number(stats.bsize);
          const freeRatio = totalBytes > 0 ? freeBytes / totalBytes : 1;
          return {
            role,
            freeBytes,
            totalBytes,
            freeRatio,
            state: classify(freeBytes, freeRatio, this.thresholds),
          };
        } catch (error) {
          // Unknown is not full: report it (readiness), but do not refuse writes on a failed statfs.
          const code = (error as NodeJS.ErrnoException).code ?? 'error';
          return { role, freeBytes: 0, totalBytes: 0, freeRatio: 0, state: 'warning', error: code };
        }
      }),
    );
    this.current = samples;
    this.sampledAt = Date.now();
    const state = worst(samples);
    if (state !== this.lastState) {
      this.lastState = state;
      this.options.onChange?.(state, samples);
    }
    return samples;
  }
}

function worst(samples: readonly DiskSample[]): DiskState {
  let state: DiskState = 'ok';
  for (const sample of samples) if (RANK[sample.state] > RANK[state]) state = sample.state;
  return state;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 2 : 1)}%`;
}

export const DISK_STATE_VALUE: Record<DiskState, number> = RANK;
