// Consumes every partition in order and applies each batch of records in one SQLite transaction with the
// new applied offset (I-V2), so a crash can neither skip nor double-apply a record.
import type { Logger } from 'pino';
import type { CommitLog } from '../log/index.ts';
import { FreshLookup } from '../platform/fresh-lookup.ts';
import { withTimeout } from '../platform/with-timeout.ts';
import { inTransaction } from '../platform/node-database.ts';
import type { LogCodec, SecretStateMachine } from '../secrets/index.ts';
import type { ViewStore } from '../view/index.ts';
import { DsvError } from '../errors/index.ts';

/**
 * Records whose effect must survive a power loss from the moment this node reports them applied, not only
 * after a replay: a crypto-shred destroys the tenant's keys on disk (a backup or a stolen disk taken after the
 * shred was confirmed must not hold them, DESIGN §8), and a node revocation closes the peer API (I-G4).
 */
const SYNCED_RECORD_TYPES: ReadonlySet<string> = new Set(['tenant-shred', 'node-revoke']);

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
}

export class LogApplier {
  private readonly log: CommitLog;
  private readonly view: ViewStore;
  private readonly machine: SecretStateMachine;
  private readonly codec: LogCodec;
  private readonly logger: Logger;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  /** Who waits for which offset, per partition; a partition's entry goes when its last waiter does. */
  private readonly waiters = new Map<number, Set<Waiter>>();
  /** In-memory mirror of view_applied.next_offset, updated right after each transaction commits. */
  private readonly nextOffsets = new Map<number, number>();

  /** Per partition, the offset this node has failed to apply since when (cleared by the next success). */
  private readonly failing = new Map<number, { offset: number; since: number }>();

  /** The log's end offset per partition, one look-up for the strong reads that asked before it started. */
  private readonly endOffsets: FreshLookup<number, number>;

  /** Makes everything applied so far durable (the node database's WAL sync); see SYNCED_RECORD_TYPES. */
  private readonly sync: (() => Promise<void>) | undefined;

  constructor(
    log: CommitLog,
    view: ViewStore,
    machine: SecretStateMachine,
    codec: LogCodec,
    logger: Logger,
    sync?: () => Promise<void>,
  ) {
    this.log = log;
    this.view = view;
    this.machine = machine;
    this.codec = codec;
    this.logger = logger;
    this.sync = sync;
    this.endOffsets = new FreshLookup((partition) => log.endOffset(partition));
  }

  start(): void {
    for (let partition = 0; partition < this.log.partitionCount; partition++) {
      this.nextOffsets.set(partition, this.view.applied(partition).nextOffset);
      this.loops.push(this.run(partition));
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    for (const waiters of this.waiters.values()) for (const waiter of waiters) waiter.resolve();
    this.waiters.clear();
  }

  /** Next offset this node will apply in `partition`. */
  nextOffset(partition: number): number {
    return this.nextOffsets.get(partition) ?? 0;
  }

  /**
   * The partition whose applying has failed at one offset the longest, if for at least `minMs`: a node stuck
   * there is not ready (readiness 'log-lag'), whatever its lag in records says (the Kafka red team's wedge).
   */
  stalled(
    minMs: number,
    now = Date.now(),
  ): { partition: number; offset: number; seconds: number } | undefined {
    let worst: { partition: number; offset: number; seconds: number } | undefined;
    for (const [partition, { offset, since }] of this.failing) {
      const seconds = Math.round((now - since) / 1000);
      if (now - since >= minMs && (!worst || seconds > worst.seconds)) worst = { partition, offset, seconds };
    }
    return worst;
  }

  /** Resolves once the record at `offset` has been applied; rejects with 503 after `timeoutMs`. */
  async waitApplied(partition: number, offset: number, timeoutMs: number): Promise<void> {
    if (this.nextOffset(partition) > offset) return;
    if (this.abort.signal.aborted) throw new DsvError('DSV_NODE_UNAVAILABLE');
    await new Promise<void>((resolve, reject) => {
      const waiting = this.waiters.get(partition) ?? new Set<Waiter>();
      this.waiters.set(partition, waiting);
      // A timed-out waiter leaves at once (from the one set its partition has), so waits that never come
      // true cost nothing after their timeout, however many a caller starts.
      const timer = setTimeout(() => {
        this.forget(partition, waiter);
        reject(new DsvError('DSV_LOG_UNAVAILABLE', 'Timed out waiting for the commit log to be applied'));
      }, timeoutMs);
      const waiter: Waiter = {
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      waiting.add(waiter);
    });
    if (this.abort.signal.aborted) throw new DsvError('DSV_NODE_UNAVAILABLE');
  }

  /**
   * Read-your-writes on any node (DESIGN §7.1): apply everything appended before this call. The end offset
   * comes from a look-up that started after this call (FreshLookup), shared with the reads that wait with it.
   */
  async catchUp(partition: number, timeoutMs: number): Promise<void> {
    let end: number;
    try {
      // Bounded like the apply wait: a stuck look-up holds up every read queued behind it on this partition.
      end = await withTimeout(this.endOffsets.get(partition), timeoutMs, 'end offset');
    } catch (error) {
      throw new DsvError('DSV_LOG_UNAVAILABLE', undefined, { cause: error });
    }
    if (end > 0) await this.waitApplied(partition, end - 1, timeoutMs);
  }

  private async run(partition: number): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const from = this.nextOffset(partition);
        const records = await this.log.read(partition, from, { maxRecords: 512, maxWaitMs: 1000, signal });
        if (records.length === 0 || signal.aborted) {
          this.failing.delete(partition); // nothing to apply: not stuck
          continue;
        }
        // I-L1: offsets are dense. A log that answers with a gap (records deleted, an offset a producer
        // claimed) is never applied past: skipping would drop records every other node applies.
        const gap = records.findIndex((record, index) => record.offset !== from + index);
        if (gap !== -1) {
          throw new DsvError(
            'DSV_LOG_UNAVAILABLE',
            `partition ${partition}: expected offset ${from + gap}, the log answered ${records[gap]?.offset}`,
          );
        }
        let mustSync = false;
        inTransaction(this.view.db, () => {
          for (const record of records) {
            const decoded = this.codec.decode(partition, record.value, record.timestamp);
            if ('entry' in decoded && SYNCED_RECORD_TYPES.has(decoded.entry.type)) mustSync = true;
            this.machine.apply(partition, record.offset, decoded, record.timestamp);
          }
        });
        // Applied transactions are not synced (synchronous=NORMAL: the log rebuilds them, I-V1). Records whose
        // effect others rely on as soon as this node says "applied" are synced before it says so.
        if (mustSync) await this.sync?.();
        const last = records[records.length - 1];
        if (last) this.nextOffsets.set(partition, last.offset + 1);
        this.failing.delete(partition);
        this.wake(partition);
      } catch (error) {
        if (signal.aborted) break;
        // Never skip a record: retry the same offset after a pause (I-X1 would break otherwise).
        const offset = this.nextOffset(partition);
        if (this.failing.get(partition)?.offset !== offset)
          this.failing.set(partition, { offset, since: Date.now() });
        this.logger.error({ err: error, partition, offset }, 'applying the commit log failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private wake(partition: number): void {
    const waiting = this.waiters.get(partition);
    if (!waiting) return;
    const next = this.nextOffset(partition);
    for (const waiter of waiting) {
      if (waiter.offset < next) {
        this.forget(partition, waiter);
        waiter.resolve();
      }
    }
  }

  private forget(partition: number, waiter: Waiter): void {
    const waiting = this.waiters.get(partition);
    waiting?.delete(waiter);
    if (waiting?.size === 0) this.waiters.delete(partition);
  }
}
