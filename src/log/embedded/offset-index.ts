// Offset → file position of one partition (I-L1: offsets are dense, so the index is a plain growable array).
// 8 bytes per record: a 1e6-record dev log costs 8 MB of index, and no values stay in memory.

export class OffsetIndex {
  #positions = new Float64Array(1024);
  #length = 0;

  /** Number of indexed records, which is also the next offset. */
  get length(): number {
    return this.#length;
  }

  push(position: number): void {
    if (this.#length === this.#positions.length) {
      const grown = new Float64Array(this.#positions.length * 2);
      grown.set(this.#positions);
      this.#positions = grown;
    }
    this.#positions[this.#length++] = position;
  }

  /** File position of the frame holding `offset`; the caller keeps 0 ≤ offset < length. */
  positionOf(offset: number): number {
    const position = this.#positions[offset];
    if (position === undefined || offset >= this.#length)
      throw new RangeError(`offset ${offset} not indexed`);
    return position;
  }
}
