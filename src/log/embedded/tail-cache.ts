// The most recent records of one partition, kept in memory so consumers tailing the log never touch the disk.

export interface CachedRecord {
  readonly key: string;
  readonly value: Uint8Array;
  readonly timestamp: number;
}

/** Per-object overhead counted against the byte budget, so many tiny records cannot grow it unbounded. */
const RECORD_OVERHEAD_BYTES = 64;

export class TailCache {
  readonly #maxBytes: number;
  #records: CachedRecord[] = [];
  #head = 0;
  #bytes = 0;
  #start: number;

  /** `start` is the offset the next added record will have. */
  constructor(start: number, maxBytes: number) {
    this.#start = start;
    this.#maxBytes = maxBytes;
  }

  /** The first offset held; every offset from here to the partition's end is cached. */
  get start(): number {
    return this.#start;
  }

  /** Adds the record at the next offset. The caller hands over a private copy (I-L3). */
  add(record: CachedRecord): void {
    this.#records.push(record);
    this.#bytes += cost(record);
    // Keep at least the newest record, however large, so the tail read is always served from memory.
    while (this.#bytes > this.#maxBytes && this.#records.length - this.#head > 1) {
      const dropped = this.#records[this.#head];
      if (dropped === undefined) break;
      this.#bytes -= cost(dropped);
      this.#head++;
      this.#start++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Records from `from` (≥ start) on, at most `max`, each value a fresh copy the caller may mutate. */
  read(from: number, max: number): CachedRecord[] {
    const out: CachedRecord[] = [];
    const first = this.#head + (from - this.#start);
    const last = Math.min(this.#records.length, first + max);
    for (let i = first; i < last; i++) {
      const r = this.#records[i];
      if (r === undefined) break;
      out.push({ key: r.key, value: new Uint8Array(r.value), timestamp: r.timestamp });
    }
    return out;
  }
}

function cost(record: CachedRecord): number {
  return record.value.byteLength + record.key.length * 2 + RECORD_OVERHEAD_BYTES;
}
