// Proactive share refresh in the state machine (design 2026-12-02 client-side mode §5; I-R1, I-X1): which
// refresh may start, when one times out, and the switch to a new generation. Like the rest of the state
// machine it reads only the record, its signer, the log time and the view — never a clock.
//
// Why a refresh-start needs no client endorsement (unlike every other record that changes state): starting
// a refresh changes nothing anyone reads. It only reserves the version for one session; participants stage
// new shares beside the current ones, and the switch (refresh-commit) takes effect only with a verified
// receipt from every participant, each signed after that participant durably staged its own new share and
// saw every zero check it ran hold. A rogue member can therefore at worst start refreshes that time out
// (rate-limited below, per tenant and per version, in log time) — it cannot switch a version to shares that
// do not exist or do not combine to the value, which is what endorsements elsewhere protect against.
import type { GenerationAddress, ShardStore } from '../shards/index.ts';
import type { RefreshRecord, ViewStore } from '../view/index.ts';
import type { RecordAuthority } from './record-authority.ts';
import type {
  RefreshAbortEntry,
  RefreshCommitEntry,
  RefreshEntry,
  RefreshStartEntry,
} from './refresh-entry.ts';

/** Log-time limits of refresh (I-X4). Every node must use the same ones, like the pending-write timeout. */
export interface RefreshLimits {
  /** A refresh not committed this long (log time) after its start is aborted. */
  readonly timeoutMs: number;
  /** A version refreshed less than this ago (log time) is not refreshed again. */
  readonly minIntervalMs: number;
  /** At most this many refresh-starts per tenant per second of log time. */
  readonly maxStartsPerSecond: number;
  /**
   * The tenant's partition. A refresh record anywhere else is refused: it would read and change the
   * tenant's versions out of order with the tenant's own records, and nodes could disagree (I-X1). The state
   * machine holds the tenant's other writes and versions records to it too (HOME_PARTITION_RECORDS).
   */
  readonly partitionOf?: (tenant: string) => number;
}

export const DEFAULT_REFRESH_LIMITS: RefreshLimits = {
  timeoutMs: 60_000,
  minIntervalMs: 60_000,
  maxStartsPerSecond: 50,
};

/**
 * Finished refreshes are forgotten this long (log time) after they ended; only status reads them. Forgetting
 * a session id is safe (I-R4): every receipt is bound to its start record's offset, which never recurs, so a
 * replayed start — or the same id started again — opens a new session that no old receipt can commit.
 */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;

export type RefreshShardEffects = Pick<ShardStore, 'promoteGeneration' | 'discardGeneration'>;

type Refuse = (reason: string) => void;

const addressOf = (refresh: RefreshRecord): GenerationAddress => ({
  key: { tenant: refresh.tenant, namespace: refresh.namespace, name: refresh.name },
  version: refresh.version,
  writeId: refresh.writeId,
  generation: refresh.generation,
});

export class RefreshMachine {
  private readonly view: ViewStore;
  private readonly shards: RefreshShardEffects;
  private readonly limits: RefreshLimits;
  private readonly authority: RecordAuthority | undefined;

  constructor(
    view: ViewStore,
    shards: RefreshShardEffects,
    limits: RefreshLimits,
    authority: RecordAuthority | undefined,
  ) {
    this.view = view;
    this.shards = shards;
    this.limits = limits;
    this.authority = authority;
  }

  /** Before each record: refreshes past their timeout in log time are aborted, on every node alike. */
  expire(partition: number, logTime: number): void {
    for (const refresh of this.view.refreshes.startedBefore(partition, logTime - this.limits.timeoutMs)) {
      this.abort(refresh, 'timeout', logTime);
    }
  }

  apply(
    partition: number,
    offset: number,
    entry: RefreshEntry,
    signer: string,
    logTime: number,
    refuse: Refuse,
  ): void {
    const home = this.limits.partitionOf?.(entry.tenant) ?? partition;
    if (home !== partition) return refuse('wrong-partition');
    switch (entry.type) {
      case 'refresh-start':
        return this.start({ partition, offset }, entry, signer, logTime, refuse);
      case 'refresh-commit':
        return this.commit(partition, entry, signer, logTime, refuse);
      case 'refresh-abort':
        return this.applyAbort(partition, entry, signer, logTime, refuse);
    }
  }

  /** Why this start may not begin, or undefined. */
  private startRefusal(partition: number, entry: RefreshStartEntry, logTime: number): string | undefined {
    const refreshes = this.view.refreshes;
    if (refreshes.get(partition, entry.session)) return 'replayed';
    if (this.view.isShredded(entry.tenant)) return 'refresh-shredded';
    const key = { tenant: entry.tenant, namespace: entry.namespace, name: entry.name };
    const info = this.view.version(key, entry.version);
    if (!info || info.writeId !== entry.writeId || entry.generation !== info.generation + 1)
      return 'refresh-stale';
    // Every index holding a commitment now takes part, each once, in order; versions from before
    // commitments existed cannot be refreshed (a new share could not be checked against anything).
    const holding = Object.keys(info.commitments ?? {})
      .map(Number)
      .sort((a, b) => a - b);
    if (holding.length < 2 || JSON.stringify(holding) !== JSON.stringify(entry.participants))
      return 'refresh-participants';
    if (refreshes.pendingFor(key, entry.version)) return 'refresh-in-progress';
    const last = refreshes.refreshedAt(key, entry.version);
    if (last !== null && logTime - last < this.limits.minIntervalMs) return 'refresh-too-soon';
    if (refreshes.startsSince(entry.tenant, logTime - 1000) >= this.limits.maxStartsPerSecond)
      return 'refresh-rate-limited';
    return undefined;
  }

  private start(
    { partition, offset }: { partition: number; offset: number },
    entry: RefreshStartEntry,
    signer: string,
    logTime: number,
    refuse: Refuse,
  ): void {
    const refusal = this.startRefusal(partition, entry, logTime);
    if (refusal !== undefined) return refuse(refusal);
    this.view.refreshes.prune(partition, logTime - FORGET_AFTER_MS);
    this.view.refreshes.start({
      session: entry.session,
      partition,
      startOffset: offset,
      tenant: entry.tenant,
      namespace: entry.namespace,
      name: entry.name,
      version: entry.version,
      writeId: entry.writeId,
      generation: entry.generation,
      participants: entry.participants,
      refresher: signer,
      startedAt: logTime,
    });
  }

  /** I-R1: the switch needs the refresher's signature and a verified receipt from every participant. */
  private commit(
    partition: number,
    entry: RefreshCommitEntry,
    signer: string,
    logTime: number,
    refuse: Refuse,
  ): void {
    const refresh = this.view.refreshes.get(partition, entry.session);
    if (refresh?.state !== 'pending' || refresh.tenant !== entry.tenant) return; // first of commit/abort wins
    if (refresh.refresher !== signer) return refuse('not-the-refresher');
    const verified = this.authority?.refreshReceipts(partition, entry, refresh) ?? {
      receipts: entry.receipts.filter((receipt) => refresh.participants.includes(receipt.index)),
    };
    if ('refusal' in verified) return refuse(verified.refusal);
    const { key, version, writeId, generation } = addressOf(refresh);
    const info = this.view.version(key, version);
    // A delete or a crypto-shred since the start: nothing to switch; the staged shares go.
    if (!info || info.writeId !== writeId || info.generation !== generation - 1)
      return this.abort(refresh, 'stale', logTime);
    this.view.refreshes.switchGeneration(key, version, {
      generation,
      commitments: Object.fromEntries(
        verified.receipts.map((receipt) => [String(receipt.index), receipt.commitment]),
      ),
      holders: [...new Set(verified.receipts.map((receipt) => receipt.node))].sort(),
      at: logTime,
    });
    this.shards.promoteGeneration(addressOf(refresh));
    this.view.refreshes.finish(refresh, 'committed', logTime, null);
  }

  private applyAbort(
    partition: number,
    entry: RefreshAbortEntry,
    signer: string,
    logTime: number,
    refuse: Refuse,
  ): void {
    const refresh = this.view.refreshes.get(partition, entry.session);
    if (refresh?.state !== 'pending' || refresh.tenant !== entry.tenant) return;
    if (refresh.refresher !== signer) return refuse('not-the-refresher');
    this.abort(refresh, entry.reason, logTime);
  }

  /** The current generation stays; every node discards its staged share of the new one. */
  private abort(refresh: RefreshRecord, reason: string, logTime: number): void {
    this.shards.discardGeneration(addressOf(refresh));
    this.view.refreshes.finish(refresh, 'aborted', logTime, reason);
  }
}
