// Client-side read (protocol "Read", steps 2–3): ask k holders in random order, one more after the hedge delay
// or for every failure, drop each share that does not open its commitment, and combine on this machine.
// reconstructSecret checks the payload tag (I-C1): a lying resolver or holder can fail a read, never change it.
import { commitmentMatches, reconstructSecret, type Share } from '../src/sharing/index.ts';
import { DsvClientError, toClientError } from './client-error.ts';
import type { HolderShare, Resolved, ResolvedHolder } from './wire.ts';

export type ReadPurpose = 'read' | 'compare';

/** Fetches one holder's share; rejects with a DsvClientError (404, 403, unreachable, …). */
export type FetchShare = (holder: ResolvedHolder, signal: AbortSignal) => Promise<HolderShare>;

const holderFailures = new WeakSet<DsvClientError>();

/** Whether this error says the holders lacked the shards (404 everywhere, or too few): worth a re-resolve. */
export function holdersMissedShards(error: unknown): boolean {
  return (
    error instanceof DsvClientError &&
    (error.code === 'DSV_INSUFFICIENT_SHARDS' ||
      (holderFailures.has(error) && error.code === 'DSV_SECRET_NOT_FOUND'))
  );
}

/** Fisher–Yates with the given source of [0, 1) numbers (tests pin it). */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Shares of one resolved version, gathered from its holders as needed; `close` wipes every one of them. */
export class ShareCollector {
  readonly #resolved: Resolved;
  readonly #fetch: FetchShare;
  readonly #hedgeDelayMs: number;
  readonly #order: ResolvedHolder[];
  readonly #abort = new AbortController();
  readonly #shares: Share[] = [];
  readonly #failures: DsvClientError[] = [];
  /** The checks of the collects waiting now: every settled fetch runs them all (a second collect included). */
  readonly #waiting = new Set<() => void>();
  #next = 0;
  #inFlight = 0;
  #closed = false;

  constructor(resolved: Resolved, fetchShare: FetchShare, hedgeDelayMs: number, random?: () => number) {
    this.#resolved = resolved;
    this.#fetch = fetchShare;
    this.#hedgeDelayMs = hedgeDelayMs;
    this.#order = shuffled(resolved.holders, random);
  }

  get remaining(): number {
    return this.#order.length - this.#next;
  }

  /**
   * Resolves once `target` verified shares are in (all of them when more arrived meanwhile), or, when no holder
   * is left to ask, with at least `needed` of them; else rejects.
   */
  collect(target: number, needed = target): Promise<Share[]> {
    return new Promise((resolve, reject) => {
      let hedge: NodeJS.Timeout | undefined;
      const settle = (outcome: () => void): void => {
        this.#waiting.delete(check);
        clearTimeout(hedge);
        outcome();
      };
      const check = (): void => {
        if (!this.#waiting.has(check)) return;
        if (this.#shares.length >= target) return settle(() => resolve([...this.#shares]));
        while (this.#shares.length + this.#inFlight < target && this.remaining > 0) this.#launch();
        if (this.#inFlight > 0) return;
        if (this.#shares.length >= needed) settle(() => resolve([...this.#shares]));
        else settle(() => reject(this.#failure(needed)));
      };
      this.#waiting.add(check);
      check();
      if (this.#waiting.has(check))
        hedge = setTimeout(() => {
          if (this.#waiting.has(check) && this.remaining > 0) this.#launch();
        }, this.#hedgeDelayMs);
    });
  }

  /** Cancels what is still in flight and wipes every share received (late arrivals are wiped on arrival). */
  close(): void {
    this.#closed = true;
    this.#abort.abort();
    for (const share of this.#shares) share.y.fill(0);
  }

  #launch(): void {
    const holder = this.#order[this.#next++] as ResolvedHolder;
    this.#inFlight++;
    this.#fetch(holder, this.#abort.signal)
      .then((answer) => this.#accept(holder, answer))
      .catch((error: unknown) => this.#failures.push(toClientError(error)))
      .finally(() => {
        this.#inFlight--;
        for (const check of [...this.#waiting]) check();
      });
  }

  #accept(holder: ResolvedHolder, answer: HolderShare): void {
    const { tenant, namespace, name, version, writeId } = this.#resolved;
    const opens =
      answer.index === holder.index &&
      (holder.commitment === null ||
        (answer.blinding !== undefined &&
          commitmentMatches(
            holder.commitment,
            { tenant, namespace, name, version },
            writeId,
            holder.index,
            answer.blinding,
            answer.share,
          )));
    answer.blinding?.fill(0);
    if (this.#closed || !opens) {
      answer.share.fill(0);
      if (!opens)
        this.#failures.push(
          new DsvClientError('DSV_INTEGRITY_FAILED', 'A shard did not match its commitment'),
        );
      return;
    }
    this.#shares.push({ x: holder.index + 1, y: answer.share });
  }

  /** Every holder failed alike (all 403, all 404): that answer; else too few shares. */
  #failure(target: number): DsvClientError {
    const [first] = this.#failures;
    if (
      first !== undefined &&
      this.#failures.every((failure) => failure.code === first.code) &&
      first.status < 500
    ) {
      const error = new DsvClientError(first.code, first.message, { status: first.status, cause: first });
      holderFailures.add(error);
      return error;
    }
    return new DsvClientError('DSV_INSUFFICIENT_SHARDS', undefined, {
      details: { received: this.#shares.length, required: target, failed: this.#failures.length },
      ...(first === undefined ? {} : { cause: first }),
    });
  }
}

/** The value of one resolved version, combined here; every share is wiped before this returns. */
export async function readResolved(
  resolved: Resolved,
  k: number,
  fetchShare: FetchShare,
  hedgeDelayMs: number,
  random?: () => number,
): Promise<Uint8Array> {
  const { tenant, namespace, name, version } = resolved;
  const identity = { tenant, namespace, name, version };
  const collector = new ShareCollector(resolved, fetchShare, hedgeDelayMs, random);
  try {
    const shares = await collector.collect(k);
    try {
      return reconstructSecret(identity, shares, k);
    } catch (error) {
      // Only unchecked (null-commitment) shares can get here: ask the remaining holders, then try again.
      if ((error as { code?: unknown }).code !== 'DSV_INTEGRITY_FAILED' || collector.remaining === 0)
        throw error;
      return reconstructSecret(identity, await collector.collect(Infinity, k), k);
    }
  } catch (error) {
    throw toClientError(error);
  } finally {
    collector.close();
  }
}
