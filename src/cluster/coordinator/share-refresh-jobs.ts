// `dsv keys refresh-shares`: refresh every version of a tenant once, in the background on the node asked,
// paced by the state machine's rate limits, resumable (a version already at the target generation is done),
// with progress; and the per-tenant status (versions per generation), read from the log-built view.
import { DsvError } from '../../errors/index.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { partitionOf } from './coordinator-context.ts';
import { participantsOf, refreshContextOf, refreshVersion, type RefreshOutcome } from './share-refresh.ts';

export interface RefreshProgress {
  readonly tenant: string;
  readonly state: 'running' | 'finished' | 'failed';
  /** Every version reaches at least this generation (the tenant's lowest when the run began, + 1). */
  readonly target: number;
  readonly total: number;
  /** Versions at the target generation or above. */
  readonly done: number;
  readonly refreshed: number;
  readonly aborted: number;
  /** Versions this run could not refresh (too few shards, moved, deleted). */
  readonly skipped: number;
  readonly error?: string;
}

export interface RefreshStatus {
  readonly tenant: string;
  readonly versions: number;
  /** Generation → number of versions at it. */
  readonly generations: Readonly<Record<string, number>>;
  readonly inProgress: number;
  /** The run this node is doing (or did last) for the tenant, if any. */
  readonly job?: RefreshProgress;
}

/** A rate-limited or busy start is retried at most this many times per version. */
const MAX_ATTEMPTS = 20;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The tenant's versions and the generation a run takes them to. */
function plan(context: CoordinatorContext, tenant: string) {
  const versions = context.view.refreshes.versionsOf(tenant);
  const lowest = versions.reduce((min, version) => Math.min(min, version.generation), Infinity);
  return { versions, target: versions.length === 0 ? 0 : lowest + 1 };
}

/** One version to at least `target`, retrying while the log says "not now" (rate limit, refresh running). */
async function refreshToTarget(
  context: CoordinatorContext,
  key: { tenant: string; namespace: string; name: string },
  version: number,
  target: number,
  signal: AbortSignal,
): Promise<RefreshOutcome> {
  const { limits } = refreshContextOf(context).settings;
  for (let attempt = 0; ; attempt++) {
    const info = context.view.version(key, version);
    if (!info) return { state: 'skipped', reason: 'gone' };
    if (info.generation >= target) return { state: 'committed', generation: info.generation };
    const outcome = await refreshVersion(context, key, version);
    const busy = outcome.state === 'skipped' && ['rate-limited', 'in-progress'].includes(outcome.reason);
    if (!busy || attempt + 1 >= MAX_ATTEMPTS || signal.aborted) return outcome;
    // Another refresher's session ends within the log-time timeout; a rate limit within a log-second.
    await pause(outcome.reason === 'in-progress' ? Math.min(1000, limits.timeoutMs / 4) : 1000);
  }
}

export class RefreshJobs {
  private readonly context: CoordinatorContext;
  private readonly jobs = new Map<string, RefreshProgress>();
  private readonly stop = new AbortController();

  constructor(context: CoordinatorContext) {
    this.context = context;
  }

  /** Starts a run for the tenant unless one is running on this node; answers its progress at once. */
  async start(tenant: string): Promise<RefreshProgress> {
    const { context } = this;
    refreshContextOf(context);
    await context.applier.catchUp(partitionOf(context, tenant), context.timeouts.applyMs);
    if (context.view.isShredded(tenant)) throw new DsvError('DSV_TENANT_SHREDDED');
    const running = this.jobs.get(tenant);
    if (running?.state === 'running') return running;
    const { versions, target } = plan(context, tenant);
    let progress: RefreshProgress = {
      tenant,
      state: 'running',
      target,
      total: versions.length,
      done: versions.filter((version) => version.generation >= target).length,
      refreshed: 0,
      aborted: 0,
      skipped: 0,
    };
    this.jobs.set(tenant, progress);
    const update = (change: Partial<RefreshProgress>) => {
      progress = { ...progress, ...change };
      this.jobs.set(tenant, progress);
    };
    void (async () => {
      for (const version of versions) {
        if (this.stop.signal.aborted) break;
        if (version.generation >= target) continue;
        const key = { tenant, namespace: version.namespace, name: version.name };
        const info = context.view.version(key, version.version);
        if (!info || participantsOf(info).length < Math.max(2, context.params.k)) {
          update({ skipped: progress.skipped + 1 });
          continue;
        }
        const outcome = await refreshToTarget(context, key, version.version, target, this.stop.signal);
        if (outcome.state === 'committed')
          update({ refreshed: progress.refreshed + 1, done: progress.done + 1 });
        else if (outcome.state === 'aborted') update({ aborted: progress.aborted + 1 });
        else update({ skipped: progress.skipped + 1 });
      }
      update({ state: 'finished' });
    })().catch((error: unknown) => {
      context.logger.warn({ err: error, tenant }, 'share refresh run failed');
      update({ state: 'failed', error: error instanceof Error ? error.message : String(error) });
    });
    return progress;
  }

  /** Versions per generation for one tenant or every tenant, with this node's run of each, if any. */
  async status(tenant?: string): Promise<RefreshStatus[]> {
    const { context } = this;
    const partitions =
      tenant === undefined
        ? Array.from({ length: context.log.partitionCount }, (_, partition) => partition)
        : [partitionOf(context, tenant)];
    for (const partition of partitions) await context.applier.catchUp(partition, context.timeouts.applyMs);
    const counts = context.view.refreshes.generationCounts(tenant);
    const pending = context.view.refreshes.pendingCounts();
    const tenants = tenant === undefined ? [...new Set(counts.map((row) => row.tenant))].sort() : [tenant];
    return tenants.map((name) => {
      const rows = counts.filter((row) => row.tenant === name);
      const job = this.jobs.get(name);
      return {
        tenant: name,
        versions: rows.reduce((sum, row) => sum + row.versions, 0),
        generations: Object.fromEntries(rows.map((row) => [String(row.generation), row.versions])),
        inProgress: pending.get(name) ?? 0,
        ...(job ? { job } : {}),
      };
    });
  }

  /** Stops starting new refreshes (the node is stopping); a refresh under way finishes or times out. */
  close(): void {
    this.stop.abort();
  }
}
