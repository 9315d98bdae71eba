// A tiny seeded PRNG (mulberry32) for fault injection: the same seed gives the same sequence, so a failing
// fault run can be replayed from the seed it printed.

export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An independent stream derived from this seed and a label (e.g. one per peer link). */
  fork(label: string): SeededRandom;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed: seed >>> 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    fork: (label) => seededRandom(hashLabel(seed, label)),
  };
}

/** FNV-1a over the label, mixed with the seed: stable across runs and platforms. */
function hashLabel(seed: number, label: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A seed from the environment (decimal), or a fresh one; either way print it so the run can be repeated. */
export function seedFrom(value: string | undefined): number {
  if (value !== undefined && /^\d+$/.test(value.trim())) return Number(value.trim()) >>> 0;
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
