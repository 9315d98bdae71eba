// A ShardHolder decorator that drops and delays peer calls from a seeded PRNG (tests only; DESIGN §6–§7 must
// hold through it). The nasty case is the lost acknowledgement: the peer staged the shard, the caller never
// heard, so the coordinator must count it as missing and the write may still commit or abort consistently.
import { DsvError } from '../../errors/index.ts';
import type {
  EndorseRequest,
  RecoveryRequest,
  ReleasedShard,
  ShardHolder,
  ShardReadRequest,
  StageReceipt,
  StageRequest,
} from '../shard-holder.ts';
import type { SeededRandom } from './seeded-random.ts';

/** Probabilities per call (dropBefore + dropAfter ≤ 1) and the delay bound. */
export interface PeerFaultRates {
  /** The call is refused without reaching the peer. */
  readonly dropBefore: number;
  /** The peer does the work, but its answer is lost. */
  readonly dropAfter: number;
  /** The call waits 0..maxDelayMs before it is sent. */
  readonly delay: number;
  readonly maxDelayMs: number;
}

export interface PeerFaultStats {
  calls: number;
  forwarded: number;
  droppedBefore: number;
  droppedAfter: number;
  delayed: number;
}

export const emptyFaultStats = (): PeerFaultStats => ({
  calls: 0,
  forwarded: 0,
  droppedBefore: 0,
  droppedAfter: 0,
  delayed: 0,
});

export interface FaultInjectingOptions {
  readonly random: SeededRandom;
  readonly rates: PeerFaultRates;
  /** Faults apply only while this says so (a test turns them off for its final verification). */
  readonly active?: () => boolean;
  /** Shared counters (several holders may add to one). */
  readonly stats?: PeerFaultStats;
}

type Fate = { kind: 'forward' | 'drop-before' | 'drop-after'; delayMs: number };

export class FaultInjectingShardHolder implements ShardHolder {
  readonly nodeId: string;
  readonly stats: PeerFaultStats;
  private readonly inner: ShardHolder;
  private readonly options: FaultInjectingOptions;

  constructor(inner: ShardHolder, options: FaultInjectingOptions) {
    this.inner = inner;
    this.nodeId = inner.nodeId;
    this.options = options;
    this.stats = options.stats ?? emptyFaultStats();
  }

  stage(request: StageRequest): Promise<StageReceipt[]> {
    return this.faulty('stage', () => this.inner.stage(request));
  }

  read(request: ShardReadRequest): Promise<ReleasedShard | undefined> {
    return this.faulty('read', () => this.inner.read(request));
  }

  endorse(request: EndorseRequest): Promise<string> {
    return this.faulty('endorse', () => this.inner.endorse(request));
  }

  contribute(request: RecoveryRequest): Promise<Uint8Array> {
    return this.faulty('contribute', () => this.inner.contribute(request));
  }

  awaitApplied(partition: number, offset: number, timeoutMs: number): Promise<void> {
    return this.faulty('await-applied', () => this.inner.awaitApplied(partition, offset, timeoutMs));
  }

  /** Draws the same three numbers for every call, so one seed gives one sequence of fates per link. */
  private decide(): Fate {
    const { random, rates } = this.options;
    const drop = random.next();
    const delayed = random.next() < rates.delay;
    const delayMs = Math.floor(random.next() * (rates.maxDelayMs + 1));
    if (this.options.active && !this.options.active()) return { kind: 'forward', delayMs: 0 };
    const kind =
      drop < rates.dropBefore
        ? 'drop-before'
        : drop < rates.dropBefore + rates.dropAfter
          ? 'drop-after'
          : 'forward';
    return { kind, delayMs: delayed ? delayMs : 0 };
  }

  private async faulty<T>(what: string, call: () => Promise<T>): Promise<T> {
    const fate = this.decide();
    this.stats.calls++;
    if (fate.delayMs > 0) {
      this.stats.delayed++;
      await new Promise((resolve) => setTimeout(resolve, fate.delayMs));
    }
    if (fate.kind === 'drop-before') {
      this.stats.droppedBefore++;
      throw new DsvError('DSV_NODE_UNAVAILABLE', `Injected fault: ${what} to ${this.nodeId} dropped`);
    }
    if (fate.kind === 'drop-after') {
      this.stats.droppedAfter++;
      // The peer does the work (or fails at it); either way the caller hears nothing.
      await call().catch(() => undefined);
      throw new DsvError('DSV_NODE_UNAVAILABLE', `Injected fault: ${what} answer from ${this.nodeId} lost`);
    }
    this.stats.forwarded++;
    return call();
  }
}

/**
 * What `DevCluster.start({ wrapPeer })` takes: every link (from → to) gets its own stream forked from the seed,
 * so the fates on one link do not depend on traffic on the others.
 */
export function peerFaultInjector(options: {
  readonly random: SeededRandom;
  readonly rates: PeerFaultRates;
  readonly active?: () => boolean;
}): { wrapPeer: (holder: ShardHolder, from: string) => ShardHolder; stats: PeerFaultStats } {
  const stats = emptyFaultStats();
  // A restarted node wraps its peers again; its links get fresh streams rather than replaying the first ones.
  const incarnations = new Map<string, number>();
  const wrapPeer = (holder: ShardHolder, from: string): ShardHolder => {
    const link = `${from}->${holder.nodeId}`;
    const incarnation = (incarnations.get(link) ?? 0) + 1;
    incarnations.set(link, incarnation);
    return new FaultInjectingShardHolder(holder, {
      random: options.random.fork(`${link}#${incarnation}`),
      rates: options.rates,
      stats,
      ...(options.active ? { active: options.active } : {}),
    });
  };
  return { wrapPeer, stats };
}
