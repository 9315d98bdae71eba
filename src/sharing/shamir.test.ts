// Shamir over GF(256): known-answer vectors, parameter checks, and the threshold and privacy properties.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combineBytes, splitBytes, type Share } from './shamir.ts';

/** Independent reference: schoolbook GF(256) product and naive polynomial evaluation, no shared code. */
function referenceMul(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 8; bit++) if ((b >> bit) & 1) product ^= a << bit;
  for (let bit = 14; bit >= 8; bit--) if ((product >> bit) & 1) product ^= 0x11b << (bit - 8);
  return product;
}
function referenceEvaluate(coefficients: readonly number[], x: number): number {
  let sum = 0;
  let power = 1;
  for (const coefficient of coefficients) {
    sum ^= referenceMul(coefficient, power);
    power = referenceMul(power, x);
  }
  return sum;
}

/** Deterministic "randomness" for the vectors: byte i is (37·i + 11) mod 256. */
const patternRandom = (length: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const secretDSV = new TextEncoder().encode('DSV!');

/** Every size-k subset of 0..n-1, in lexicographic order. */
function subsetsOf(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const result: number[][] = [];
  for (let first = 0; first <= n - k; first++) {
    for (const rest of subsetsOf(n - first - 1, k - 1))
      result.push([first, ...rest.map((i) => i + first + 1)]);
  }
  return result;
}

void describe('splitBytes / combineBytes', () => {
  void it('produces the known-answer shares of "DSV!" for n = 5, k = 3 and a fixed random source', () => {
    // Computed independently (Python, schoolbook GF(256)) and checked again below by the reference evaluator.
    const expected = ['d0a7ea55', '180e75ed', '8cfac999', '5b670b32', 'cf93b746'];
    const shares = splitBytes(secretDSV, 5, 3, patternRandom);
    assert.deepEqual(
      shares.map((share) => share.x),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      shares.map((share) => hex(share.y)),
      expected,
    );

    const random = patternRandom(8);
    const reference = [1, 2, 3, 4, 5].map((x) =>
      hex(Uint8Array.from(secretDSV, (s, j) => referenceEvaluate([s, random[j]!, random[4 + j]!], x))),
    );
    assert.deepEqual(reference, expected);
  });

  void it('combines every 3-subset of the known-answer shares back to "DSV!"', () => {
    const shares = ['d0a7ea55', '180e75ed', '8cfac999', '5b670b32', 'cf93b746'].map((y, i): Share => ({
      x: i + 1,
      y: Uint8Array.from(Buffer.from(y, 'hex')),
    }));
    for (const subset of subsetsOf(5, 3)) {
      assert.deepEqual(combineBytes(subset.map((i) => shares[i]!)), secretDSV, `subset ${subset.join(',')}`);
    }
  });

  void it('reconstructs from every k-subset of n shares (n ≤ 10, any k)', () => {
    const params = fc
      .integer({ min: 1, max: 10 })
      .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: n === 1 ? 1 : 2, max: n })));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), params, (secret, [n, k]) => {
        const shares = splitBytes(secret, n, k);
        for (const subset of subsetsOf(n, k))
          assert.deepEqual(combineBytes(subset.map((i) => shares[i]!)), secret);
      }),
      { numRuns: 60 },
    );
  });

  void it('reveals nothing from k − 1 shares (k = 2): each share byte is a bijection of the coefficient', () => {
    // For every secret byte s and every x, y = s + a·x runs over all 256 values as the coefficient a does,
    // so a single share is equally consistent with every secret.
    const coefficients = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i);
    for (let s = 0; s < 256; s++) {
      const shares = splitBytes(new Uint8Array(256).fill(s), 255, 2, coefficients);
      for (const share of shares) assert.equal(new Set(share.y).size, 256, `s = ${s}, x = ${share.x}`);
    }
  });

  void it('reveals nothing from k − 1 shares (k = 2): one share is consistent with any candidate secret', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.integer({ min: 0, max: 255 }),
        (secret, c) => {
          const [share] = splitBytes(secret, 2, 2);
          const candidate = new Uint8Array(secret.length).fill(c);
          // Find the coefficients that explain this share under the candidate, then split the candidate with them.
          const coefficients = (): Uint8Array =>
            Uint8Array.from(share!.y, (y, j) => {
              for (let a = 0; a < 256; a++) if ((candidate[j]! ^ referenceMul(a, share!.x)) === y) return a;
              throw new Error('no consistent coefficient');
            });
          assert.deepEqual(splitBytes(candidate, 2, 2, coefficients)[0], share);
        },
      ),
      { numRuns: 50 },
    );
  });

  void it('uses fresh randomness by default, and handles the empty secret', () => {
    const secret = new Uint8Array(32).fill(7);
    assert.notDeepEqual(splitBytes(secret, 3, 2)[0]!.y, splitBytes(secret, 3, 2)[0]!.y);
    const empty = splitBytes(new Uint8Array(0), 3, 2);
    assert.deepEqual(combineBytes(empty.slice(1)), new Uint8Array(0));
  });

  void it('allows k = 1 only with a single holder, whose share is the secret', () => {
    assert.deepEqual(splitBytes(secretDSV, 1, 1), [{ x: 1, y: secretDSV }]);
    assert.throws(() => splitBytes(secretDSV, 3, 1), { code: 'DSV_INPUT_INVALID' });
  });

  void it('rejects bad parameters with DSV_INPUT_INVALID', () => {
    for (const [n, k] of [
      [3, 0],
      [2, 3],
      [256, 2],
      [3, 1.5],
      [Number.NaN, 2],
      [0, 0],
      [-1, 1],
    ] as const) {
      assert.throws(() => splitBytes(secretDSV, n, k), { code: 'DSV_INPUT_INVALID' }, `n=${n} k=${k}`);
    }
    assert.throws(() => splitBytes('DSV!' as unknown as Uint8Array, 3, 2), { code: 'DSV_INPUT_INVALID' });
    assert.throws(() => splitBytes(secretDSV, 3, 2, () => new Uint8Array(3)), { code: 'DSV_INPUT_INVALID' });
    assert.equal(splitBytes(secretDSV, 255, 255).length, 255);
  });

  void it('refuses to combine duplicate, zero or out-of-range x, unequal lengths, or nothing', () => {
    const [a, b] = splitBytes(secretDSV, 2, 2);
    const cases: Share[][] = [
      [],
      [a!, a!],
      [a!, { x: 0, y: b!.y }],
      [a!, { x: 256, y: b!.y }],
      [a!, { x: 2, y: b!.y.subarray(1) }],
      [a!, { x: 2, y: [1, 2, 3, 4] as unknown as Uint8Array }],
    ];
    for (const shares of cases) assert.throws(() => combineBytes(shares), { code: 'DSV_INPUT_INVALID' });
  });

  void it('splits and combines 64 KiB into 3 shares within a few milliseconds', () => {
    const secret = patternRandom(64 * 1024);
    splitBytes(secret, 3, 2); // warm-up
    const started = performance.now();
    const shares = splitBytes(secret, 3, 2);
    const combined = combineBytes(shares.slice(1));
    const elapsed = performance.now() - started;
    assert.deepEqual(combined, secret);
    assert.ok(elapsed < 50, `took ${elapsed.toFixed(1)} ms`); // typically < 1 ms; generous for loaded CI
  });
});
