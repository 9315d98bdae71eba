// The share byte format: x then y, round-tripping and rejecting what cannot be a share.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeShare, encodeShare } from './share-codec.ts';
import type { Share } from './shamir.ts';

const shares = fc.record({ x: fc.integer({ min: 1, max: 255 }), y: fc.uint8Array({ maxLength: 64 }) });

void describe('encodeShare / decodeShare', () => {
  void it('round-trips every share, with x as the first byte', () => {
    fc.assert(
      fc.property(shares, (share) => {
        const bytes = encodeShare(share);
        assert.equal(bytes[0], share.x);
        assert.deepEqual(Buffer.from(bytes.subarray(1)), Buffer.from(share.y));
        assert.deepEqual(decodeShare(bytes), { x: share.x, y: Uint8Array.from(share.y) });
      }),
    );
  });

  void it('decodes into a copy, so wiping the transport buffer leaves the share intact', () => {
    const bytes = Uint8Array.of(7, 1, 2, 3);
    const share = decodeShare(bytes);
    bytes.fill(0);
    assert.deepEqual(share, { x: 7, y: Uint8Array.of(1, 2, 3) });
  });

  void it('rejects bytes and shares that cannot be a share with DSV_INPUT_INVALID', () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(0, 1, 2), 'x' as unknown as Uint8Array]) {
      assert.throws(() => decodeShare(bytes), { code: 'DSV_INPUT_INVALID' });
    }
    const bad = [
      { x: 0, y: new Uint8Array(2) },
      { x: 256, y: new Uint8Array(2) },
      { x: 1, y: [1] },
    ] as unknown[];
    for (const share of bad) assert.throws(() => encodeShare(share as Share), { code: 'DSV_INPUT_INVALID' });
  });
});
