// GF(256) arithmetic: known answers, field laws, and the vector step against the scalar one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gfAdd, gfDiv, gfInv, gfMul, gfMulAddInto } from './gf256.ts';

/** Independent reference: carry-less product, then long division by 0x11b. */
function referenceMul(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 8; bit++) if ((b >> bit) & 1) product ^= a << bit;
  for (let bit = 14; bit >= 8; bit--) if ((product >> bit) & 1) product ^= 0x11b << (bit - 8);
  return product;
}

const byte = fc.integer({ min: 0, max: 255 });
const nonZero = fc.integer({ min: 1, max: 255 });

void describe('GF(256) with the AES polynomial 0x11b', () => {
  void it('multiplies the FIPS-197 known answer 0x57 · 0x83 = 0xc1', () => {
    assert.equal(gfMul(0x57, 0x83), 0xc1);
    assert.equal(gfMul(0x57, 0x13), 0xfe); // FIPS-197 §4.2.1
  });

  void it('knows 0x53 and 0xca as an inverse pair', () => {
    assert.equal(gfMul(0x53, 0xca), 0x01);
    assert.equal(gfInv(0x53), 0xca);
    assert.equal(gfInv(0xca), 0x53);
  });

  void it('agrees with a carry-less reference multiplication on all 65536 pairs', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) assert.equal(gfMul(a, b), referenceMul(a, b), `${a} · ${b}`);
    }
  });

  void it('gives a · inv(a) = 1 for every a ≠ 0, and has no inverse of 0', () => {
    for (let a = 1; a < 256; a++) assert.equal(gfMul(a, gfInv(a)), 1, `a = ${a}`);
    assert.throws(() => gfInv(0), RangeError);
  });

  void it('is distributive, associative and commutative', () => {
    fc.assert(
      fc.property(byte, byte, byte, (a, b, c) => {
        assert.equal(gfMul(a, gfAdd(b, c)), gfAdd(gfMul(a, b), gfMul(a, c)));
        assert.equal(gfMul(a, gfMul(b, c)), gfMul(gfMul(a, b), c));
        assert.equal(gfMul(a, b), gfMul(b, a));
      }),
    );
  });

  void it('divides as the inverse of multiplication', () => {
    fc.assert(fc.property(byte, nonZero, (a, b) => assert.equal(gfMul(gfDiv(a, b), b), a)));
  });

  void it('gfMulAddInto equals the scalar computation, aligned or not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 70 }),
        byte,
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        (source, c, targetOffset, sourceOffset) => {
          const targetStart = Uint8Array.from(source, (s, i) => s ^ i);
          const target = new Uint8Array(source.length + targetOffset).subarray(targetOffset);
          target.set(targetStart);
          const src = new Uint8Array(source.length + sourceOffset).subarray(sourceOffset);
          src.set(source);
          gfMulAddInto(target, src, c);
          const expected = Array.from(source, (s, i) => targetStart[i]! ^ referenceMul(c, s));
          assert.deepEqual(Array.from(target), expected);
        },
      ),
    );
  });
});
