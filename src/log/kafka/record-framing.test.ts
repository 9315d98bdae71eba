// Reading a batch as the broker validated it (record-framing.ts): the Kafka red team's round-3 record, a
// header value of length −M whose value held a fake batch, made the nodes' client read that fake batch (its
// offsets chosen by the writer). These tests build batches byte by byte, as a hostile producer sends them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c, readRecordsBatches, Reader } from '@platformatic/kafka';
import { recordsOfAnswer, recordsOfBatch } from './kafka-partition-reader.ts';
import { framingConsistent } from './record-framing.ts';

/** Kafka's zigzag varint. */
function varint(value: number): Buffer {
  let rest = BigInt(value) >= 0n ? BigInt(value) << 1n : (-BigInt(value) << 1n) - 1n;
  const bytes: number[] = [];
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

const field = (bytes: Buffer | null, length = bytes?.length ?? -1): Buffer =>
  Buffer.concat([varint(length), bytes ?? Buffer.alloc(0)]);

/** One record; a header's value length may be given apart from its bytes (a lie the broker reads as null). */
function record(offsetDelta: number, value: Buffer, header?: { valueLength: number }): Buffer {
  const headers = header ? [varint(1), field(Buffer.alloc(0)), varint(header.valueLength)] : [varint(0)];
  const body = Buffer.concat([
    Buffer.from([0]),
    varint(0),
    varint(offsetDelta),
    field(null),
    field(value),
    ...headers,
  ]);
  return Buffer.concat([varint(body.length), body]);
}

/** A magic-2 batch at `firstOffset` holding `records`, with a valid CRC. */
function batch(firstOffset: bigint, records: Buffer[]): Buffer {
  const after = Buffer.alloc(40);
  after.writeInt16BE(0, 0); // attributes: uncompressed, CreateTime
  after.writeInt32BE(records.length - 1, 2);
  after.writeBigInt64BE(1n, 6);
  after.writeBigInt64BE(1n, 14);
  after.writeBigInt64BE(-1n, 22);
  after.writeInt16BE(-1, 30);
  after.writeInt32BE(-1, 32);
  after.writeInt32BE(records.length, 36);
  const crcPart = Buffer.concat([after, ...records]);
  const head = Buffer.alloc(21);
  head.writeBigInt64BE(firstOffset, 0);
  head.writeInt32BE(9 + crcPart.length, 8);
  head.writeInt32BE(0, 12);
  head.writeInt8(2, 16);
  head.writeUInt32BE(crc32c(crcPart), 17);
  return Buffer.concat([head, crcPart]);
}

const parse = (bytes: Buffer) => readRecordsBatches(Reader.from(bytes));

describe('reading batches as the broker framed them', () => {
  it('I-L1: honest batches parse with their framing filled exactly', () => {
    const batches = parse(
      Buffer.concat([
        batch(10n, [record(0, Buffer.from('a')), record(1, Buffer.from('b'))]),
        batch(12n, [record(0, Buffer.from('c'))]),
      ]),
    );
    assert.equal(batches.length, 2);
    assert.ok(batches.every(framingConsistent));
  });

  it('I-L6: a header value of length −M inside a real record: no fake batch is read out of its value', () => {
    // The fake batch claims offsets 11–13, which the broker never gave it; the stopper ends the client's loop.
    const fake = batch(11n, [
      record(0, Buffer.from('f0')),
      record(1, Buffer.from('f1')),
      record(2, Buffer.from('f2')),
    ]);
    const stopper = Buffer.alloc(12, 0xff);
    for (const lie of [fake.length + stopper.length + 3, 40, 2]) {
      const real = batch(10n, [record(0, Buffer.concat([fake, stopper]), { valueLength: -lie })]);
      const honestAfter = batch(11n, [record(0, Buffer.from('revoke'))]);
      const batches = parse(Buffer.concat([real, honestAfter]));
      assert.deepEqual(
        batches.map((b) => Number(b.firstOffset)),
        [10, 11],
        `a lie of ${lie}: the broker's batches, and only those`,
      );
      const [first, second] = batches;
      assert.ok(first && second && framingConsistent(second));
      assert.equal(Buffer.from(recordsOfBatch(0, second)[0]?.value ?? []).toString(), 'revoke');
      // As the broker read it: one record at 10 with a null header value; its framing holds exactly when the
      // lie's varint is one byte long (as null's is), and otherwise the record is read as empty.
      const records = recordsOfBatch(0, first, framingConsistent(first));
      assert.deepEqual(
        records.map((r) => r.offset),
        [10],
      );
    }
  });

  it('I-L6: a batch whose records do not fill its framing is read as empty records over its own offsets', () => {
    const honest = batch(20n, [record(0, Buffer.from('x')), record(1, Buffer.from('y'))]);
    const [parsed] = parse(honest);
    assert.ok(parsed);
    const shortened = { ...parsed, length: parsed.length + 1 };
    assert.equal(framingConsistent(shortened), false);
    assert.deepEqual(
      recordsOfBatch(0, shortened, false).map((r) => [r.offset, r.value.length]),
      [
        [20, 0],
        [21, 0],
      ],
    );
  });

  it('I-L1: of an answer, only the first batch is believed; what the client read after it is fetched again', () => {
    // However the client came to read a second batch (round 4: a length whose sign it decoded otherwise than
    // the broker, padded varints), a node takes the first, which the broker framed, and fetches again after it.
    const answer = parse(
      Buffer.concat([
        batch(30n, [record(0, Buffer.from('first')), record(1, Buffer.from('second'))]),
        batch(32n, [record(0, Buffer.from('believed only when fetched from 32'))]),
      ]),
    );
    assert.equal(answer.length, 2);
    assert.deepEqual(
      recordsOfAnswer(0, answer, 31, 100).map((r) => [r.offset, Buffer.from(r.value).toString()]),
      [[31, 'second']],
    );
    assert.deepEqual(recordsOfAnswer(0, [], 0, 100), []);
    assert.equal(recordsOfAnswer(0, answer, 30, 1).length, 1);
  });
});
