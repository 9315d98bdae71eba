// The background side of proactive share refresh on every node (I-R1): the schedule (node config
// `shareRefresh.intervalMs`), and the local garbage collection of superseded generations once their grace
// period is over. Every node may run the schedule: a second start of the same refresh is refused by the
// state machine, so running it everywhere is safe, only wasteful — each pass skips what is done or under way.
import type { CoordinatorContext } from './coordinator-context.ts';
import { partitionOf } from './coordinator-context.ts';
import { participantsOf, refreshVersion } from './share-refresh.ts';

/**
 * Deletes this node's shards of generations superseded more than `graceMs` ago (log time of the switch), and
 * then scrubs the store: a disk taken after that holds only the current generation. Returns how many were
 * deleted, and how many wait for their grace period to end.
 */
export async function collectSuperseded(
  context: CoordinatorContext,
  graceMs: number,
): Promise<{ deleted: number; waiting: number }> {
  let deleted = 0;
  let waiting = 0;
  for (const row of context.shards.supersededGenerations(1000)) {
    const switchedAt = context.view.refreshes.refreshedAt(row.key, row.version);
    const current = context.view.version(row.key, row.version);
    // A reader that resolved the old generation still gets it during the grace period (I-R3).
    if (current?.writeId === row.writeId && switchedAt !== null && Date.now() - switchedAt < graceMs) {
      waiting += 1;
      continue;
    }
    context.shards.deleteGeneration(row);
    deleted += 1;
  }
  if (deleted > 0) await context.shards.scrub();
  return { deleted, waiting };
}

/**
 * The collection, run periodically but scanning the shard table only when there can be work: at start, after
 * a refresh committed since the last clean pass, or while superseded shards wait for their grace to end.
 */
function collector(context: CoordinatorContext, graceMs: number): () => Promise<void> {
  let cleanUpTo: number | undefined;
  return async () => {
    const marker = context.view.refreshes.lastCommittedAt() ?? 0;
    if (cleanUpTo !== undefined && marker <= cleanUpTo) return;
    const { waiting } = await collectSuperseded(context, graceMs);
    cleanUpTo = waiting === 0 ? marker : undefined;
  };
}

/** One pass of the schedule: every version of the scheduled tenants not refreshed for `intervalMs`. */
export async function scheduledRefreshPass(
  context: CoordinatorContext,
  intervalMs: number,
  signal: AbortSignal,
): Promise<number> {
  const settings = context.refresh?.settings;
  let refreshed = 0;
  for (const tenant of settings?.tenants ?? context.view.tenants()) {
    await context.applier.catchUp(partitionOf(context, tenant), context.timeouts.applyMs);
    if (context.view.isShredded(tenant)) continue;
    for (const version of context.view.refreshes.versionsOf(tenant)) {
      if (signal.aborted) return refreshed;
      // Since the last refresh, never sooner than the state machine allows: a refused start is a wasted record.
      const since = version.refreshedAt ?? version.validFrom;
      const due =
        version.refreshedAt === null ? intervalMs : Math.max(intervalMs, settings?.limits.minIntervalMs ?? 0);
      if (Date.now() - since < due) continue;
      const key = { tenant, namespace: version.namespace, name: version.name };
      const info = context.view.version(key, version.version);
      if (!info || participantsOf(info).length < Math.max(2, context.params.k)) continue;
      if (context.view.refreshes.pendingFor(key, version.version)) continue;
      const outcome = await refreshVersion(context, key, version.version);
      if (outcome.state === 'committed') refreshed += 1;
      if (outcome.state === 'skipped' && outcome.reason === 'rate-limited')
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return refreshed;
}

/** Starts the schedule (when configured) and the garbage collection; returns the function that stops both. */
export function startShareRefreshUpkeep(context: CoordinatorContext): () => void {
  const settings = context.refresh?.settings;
  if (!settings) return () => undefined;
  const stop = new AbortController();
  const guarded = (name: string, work: () => Promise<unknown>) => {
    let running = false;
    return () => {
      if (running || stop.signal.aborted) return;
      running = true;
      work()
        .catch((error: unknown) => context.logger.warn({ err: error }, `share refresh ${name} failed`))
        .finally(() => (running = false));
    };
  };
  const gc = guarded('garbage collection', collector(context, settings.graceMs));
  const timers = [
    setTimeout(gc, 1000),
    setInterval(gc, Math.min(60_000, Math.max(1000, settings.graceMs / 2))),
  ];
  const { intervalMs } = settings;
  if (intervalMs !== undefined) {
    const pass = guarded('schedule', () => scheduledRefreshPass(context, intervalMs, stop.signal));
    const every = Math.min(intervalMs, 60_000);
    // Nodes start their passes at different moments, so they mostly find each other's work done.
    timers.push(setTimeout(pass, Math.floor(Math.random() * every)), setInterval(pass, every));
  }
  for (const timer of timers) timer.unref();
  return () => {
    stop.abort();
    for (const timer of timers) clearTimeout(timer);
  };
}
