// Property tests of the embedded log's record frame: round trip, and any damaged byte is caught (I-L2, I-L3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { checkFrame, decodeFrame, encodeFrames, frameBytes } from './record-codec.ts';

const recordArb = fc.record({
  key: fc.string({ unit: 'grapheme', maxLength: 20 }),
  value: fc.uint8Array({ maxLength: 300 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 50 }),
});

const frame = (r: { key: string; value: Uint8Array; timestamp: number }) => ({
  key: Buffer.from(r.key),
  value: r.value,
  timestamp: r.timestamp,
});

void describe('record codec', () => {
  void it('I-L3: a batch of frames decodes to the same keys and bytes, frame by frame', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), (records) => {
        const buf = encodeFrames(records.map(frame));
        let pos = 0;
        for (const r of records) {
          const check = checkFrame(buf, 0, pos, buf.length);
          assert.equal(check.kind, 'ok');
          if (check.kind !== 'ok') return;
          assert.equal(check.end - pos, frameBytes(Buffer.byteLength(r.key), r.value.length));
          const decoded = decodeFrame(buf, pos);
          assert.equal(decoded.key, r.key);
          assert.ok(Buffer.from(decoded.value).equals(Buffer.from(r.value)));
          assert.equal(decoded.timestamp, r.timestamp);
          pos = check.end;
        }
        assert.equal(pos, buf.length);
      }),
    );
  });

  void it('I-L2: changing any one byte of a frame makes it fail its check', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (record, at, delta) => {
        const buf = encodeFrames([frame(record)]);
        const i = at % buf.length;
        buf[i] = ((buf[i] ?? 0) + delta) & 0xff;
        assert.notEqual(checkFrame(buf, 0, 0, buf.length).kind, 'ok', `byte ${i} changed`);
      }),
    );
  });

  void it('a frame cut short anywhere is torn, not bad', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), (record, cut) => {
        const buf = encodeFrames([frame(record)]);
        const size = cut % buf.length;
        assert.equal(checkFrame(buf.subarray(0, size), 0, 0, size).kind, 'torn');
      }),
    );
  });

  void it('a frame written before timestamps existed (no flag) still decodes, with timestamp 0', () => {
    const key = Buffer.from('tenant');
    const value = Buffer.from('old value');
    const payload = 2 + key.length + value.length;
    const buf = Buffer.alloc(8 + payload);
    buf.writeUInt32BE(payload, 0);
    buf.writeUInt16BE(key.length, 8);
    key.copy(buf, 10);
    value.copy(buf, 10 + key.length);
    buf.writeUInt32BE(crc32(buf.subarray(8), crc32(buf.subarray(0, 4))), 4);
    const check = checkFrame(buf, 0, 0, buf.length);
    assert.deepEqual(check, { kind: 'ok', end: buf.length });
    const decoded = decodeFrame(buf, 0);
    assert.equal(decoded.key, 'tenant');
    assert.equal(Buffer.from(decoded.value).toString(), 'old value');
    assert.equal(decoded.timestamp, 0);
  });
});
