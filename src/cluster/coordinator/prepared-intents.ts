// Client-side writes prepared and waiting for their endorsements (docs/client-side-protocol.md, step 1). A
// prepared intent costs this process memory until it is ordered or expires, and any token with one `create`
// right can prepare them, so what they may hold is bounded three ways, each refused with a retriable 429:
// in all, per tenant, and per token. One token cannot then take the memory of the process, nor one tenant
// the room of every other tenant's client-side writes (the tenant red team's F2: 100 prepares of 900 long
// names each grew a node by 380 MB and were held for a minute).
import { DsvError } from '../../errors/index.ts';
import type { IntentEntry } from '../../secrets/index.ts';

export interface PreparedIntent {
  readonly intent: IntentEntry;
  readonly partition: number;
  readonly expires: number;
}

export interface PreparedBudget {
  /** Prepared intents held at once, in all. */
  readonly maxCount: number;
  /** Their estimated bytes, in all. */
  readonly maxBytes: number;
  /** The share of `maxBytes` and `maxCount` one tenant may hold (0 < share ≤ 1). */
  readonly tenantShare: number;
  /** The share one token (its accessor) may hold. */
  readonly accessorShare: number;
}

export const DEFAULT_PREPARED_BUDGET: PreparedBudget = {
  maxCount: 10_000,
  maxBytes: 64 * 1024 * 1024,
  tenantShare: 1 / 2,
  accessorShare: 1 / 8,
};

/**
 * What an intent costs while it is held, in bytes: its names as JS strings (two bytes a character) and a
 * fixed overhead per object. An estimate that grows with everything a caller chooses the size of.
 */
export function preparedBytes(intent: IntentEntry): number {
  let bytes = 512 + 2 * ((intent.idempotencyKey?.length ?? 0) + intent.tenant.length);
  for (const op of intent.ops) bytes += 128 + 2 * (op.namespace.length + op.name.length);
  return bytes;
}

interface Usage {
  count: number;
  bytes: number;
}

interface Held extends PreparedIntent {
  readonly bytes: number;
}

export class PreparedIntents {
  readonly #budget: PreparedBudget;
  readonly #held = new Map<string, Held>();
  readonly #total: Usage = { count: 0, bytes: 0 };
  readonly #byTenant = new Map<string, Usage>();
  readonly #byAccessor = new Map<string, Usage>();

  constructor(budget: PreparedBudget = DEFAULT_PREPARED_BUDGET) {
    this.#budget = budget;
  }

  get size(): number {
    return this.#held.size;
  }

  get bytes(): number {
    return this.#total.bytes;
  }

  /** Holds `prepared` under `key`, or refuses with 429 when it would take more than its budget. */
  add(key: string, prepared: PreparedIntent, now: number): void {
    this.prune(now);
    const bytes = preparedBytes(prepared.intent);
    const { tenant, stager } = prepared.intent;
    const { maxCount, maxBytes, tenantShare, accessorShare } = this.#budget;
    const fits = (usage: Usage | undefined, share: number) =>
      (usage?.count ?? 0) + 1 <= Math.max(1, Math.floor(maxCount * share)) &&
      (usage?.bytes ?? 0) + bytes <= maxBytes * share;
    if (!fits(this.#total, 1) || !fits(this.#byTenant.get(tenant), tenantShare)) {
      throw refused('Too many client-side writes are being prepared; retry shortly');
    }
    if (!fits(this.#byAccessor.get(stager ?? ''), accessorShare)) {
      throw refused('This token has too many client-side writes prepared; order or let them expire first');
    }
    this.#held.set(key, { ...prepared, bytes });
    this.#count(prepared.intent, bytes, 1);
  }

  get(key: string): PreparedIntent | undefined {
    return this.#held.get(key);
  }

  delete(key: string): void {
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    this.#count(held.intent, held.bytes, -1);
  }

  /** Drops what expired before `now` (insertion order is expiry order: every intent lives as long). */
  prune(now: number): void {
    for (const [key, held] of this.#held) {
      if (held.expires >= now) break;
      this.delete(key);
    }
  }

  #count(intent: IntentEntry, bytes: number, sign: 1 | -1): void {
    const apply = (usage: Usage) => {
      usage.count += sign;
      usage.bytes += sign * bytes;
    };
    apply(this.#total);
    for (const [map, key] of [
      [this.#byTenant, intent.tenant],
      [this.#byAccessor, intent.stager ?? ''],
    ] as const) {
      const usage = map.get(key) ?? { count: 0, bytes: 0 };
      apply(usage);
      if (usage.count === 0) map.delete(key);
      else map.set(key, usage);
    }
  }
}

const refused = (message: string) =>
  new DsvError('DSV_QUOTA_RATE', message, { details: { retryAfterSeconds: 1 } });
