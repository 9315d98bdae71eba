// Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11b), the field Shamir runs over.
//
// Multiplication is a fixed 8-round shift-and-add loop with mask arithmetic instead of branches or table
// look-ups indexed by secret bytes, so its running time does not depend on the bytes it multiplies. This is
// best effort: a JIT gives no hard constant-time guarantee, but there is no data-dependent branch or memory
// access for it to expose (contrast: log/exp tables, as in `shamir-secret-sharing`, index memory by secret
// bytes and can leak through the cache).

/** Adds (and subtracts) two field elements: addition in characteristic 2 is XOR. */
export function gfAdd(a: number, b: number): number {
  return (a ^ b) & 0xff;
}

/** Multiplies two field elements without data-dependent branches (Russian-peasant, reduced by 0x1b). */
export function gfMul(a: number, b: number): number {
  let x = a & 0xff;
  let y = b & 0xff;
  let product = 0;
  for (let bit = 0; bit < 8; bit++) {
    product ^= -(y & 1) & x; // add x when the low bit of y is set
    x = ((x << 1) ^ (-(x >> 7) & 0x1b)) & 0xff; // x·t, reduced when the high bit was set
    y >>= 1;
  }
  return product;
}

/** The multiplicative inverse, as a^254 (Fermat): a fixed chain of multiplications, no branch on `a`. */
export function gfInv(a: number): number {
  if ((a & 0xff) === 0) throw new RangeError('0 has no inverse in GF(256)');
  // 254 = 0b11111110: a^254 = a^2 · a^4 · … · a^128.
  let square = gfMul(a, a);
  let result = square;
  for (let i = 0; i < 6; i++) {
    square = gfMul(square, square);
    result = gfMul(result, square);
  }
  return result;
}

/** a / b in the field; b must be non-zero. */
export function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInv(b));
}

/**
 * target[i] ^= c · source[i] for every byte: the one vector step of both split (the polynomial's terms) and
 * combine (Lagrange). `c` is public (a power of a share's x, or a Lagrange coefficient), so expanding it into
 * its eight multiples c·t^b is fine; each source bit then selects a multiple through a mask, never through a
 * branch or a memory index. Four bytes go through each 32-bit step when both arrays are 4-byte aligned
 * (lanes never carry into each other: only AND, XOR and a per-lane 0/1 → 0x00/0xff widening).
 */
export function gfMulAddInto(target: Uint8Array, source: Uint8Array, c: number): void {
  if (target.length !== source.length) throw new RangeError('gfMulAddInto: length mismatch');
  const multiples: number[] = [];
  for (let bit = 0, m = c & 0xff; bit < 8; bit++, m = gfMul(m, 2)) multiples.push(m);
  let done = 0;
  if (target.byteOffset % 4 === 0 && source.byteOffset % 4 === 0) {
    const words = target.length >> 2;
    const t32 = new Uint32Array(target.buffer, target.byteOffset, words);
    const s32 = new Uint32Array(source.buffer, source.byteOffset, words);
    const lanes = multiples.map((m) => Math.imul(m, 0x01010101));
    const [l0, l1, l2, l3, l4, l5, l6, l7] = lanes as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    for (let i = 0; i < words; i++) {
      const s = s32[i]!;
      t32[i] =
        t32[i]! ^
        (Math.imul(s & 0x01010101, 0xff) & l0) ^
        (Math.imul((s >>> 1) & 0x01010101, 0xff) & l1) ^
        (Math.imul((s >>> 2) & 0x01010101, 0xff) & l2) ^
        (Math.imul((s >>> 3) & 0x01010101, 0xff) & l3) ^
        (Math.imul((s >>> 4) & 0x01010101, 0xff) & l4) ^
        (Math.imul((s >>> 5) & 0x01010101, 0xff) & l5) ^
        (Math.imul((s >>> 6) & 0x01010101, 0xff) & l6) ^
        (Math.imul((s >>> 7) & 0x01010101, 0xff) & l7);
    }
    done = words << 2;
  }
  for (let i = done; i < source.length; i++) {
    const s = source[i]!;
    let product = 0;
    for (let bit = 0; bit < 8; bit++) product ^= -((s >> bit) & 1) & multiples[bit]!;
    target[i] = target[i]! ^ product;
  }
}
