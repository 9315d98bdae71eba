// The nodes must read a partition's bytes exactly as the broker validated them (I-L1, I-L6). The broker (Java,
// DefaultRecord.readFrom) reads a key, value or header value whose length is negative as null and consumes
// nothing more; @platformatic/kafka's Reader.readVarIntBytes took `length` bytes from the position, so a length
// of -M moved the read position BACK M bytes, into bytes a log writer chose: the client then read a batch
// header, offsets and records that the broker never assigned (the Kafka red team's round 3: one record made
// every node skip a token revocation, or apply past the log's end).
//
// Two defences, each enough against that record:
// 1. `alignRecordReadingWithBroker` gives the client the broker's rule (any negative length is null); it is
//    applied once, when this module loads, to the client's shared Reader.
// 2. `framingConsistent` checks a parsed batch against its own header: every record's fields, encoded, take
//    exactly the record's length, and the records exactly the batch's. A batch that fails is read as empty
//    records over the offsets of its header.
// And a third, which the Kafka red team's round 4 showed is needed (a length whose sign the client decodes
// otherwise than Java; padded varints, which re-encode shorter than they read): of each Fetch answer only the
// first batch, whose start the broker framed, is believed (kafka-partition-reader.ts, recordsOfAnswer).
import { Reader, type RecordsBatch } from '@platformatic/kafka';

interface VarIntBytesReader {
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  buffer: { slice(start: number, end: number): Buffer };
  position: number;
}

let aligned = false;

export function alignRecordReadingWithBroker(): void {
  if (aligned) return;
  aligned = true;
  // Pinned to @platformatic/kafka 2.12.1 (package.json): a version without this method is not one we read.
  if (typeof (Reader.prototype as Partial<VarIntBytesReader>).readVarIntBytes !== 'function')
    throw new Error('@platformatic/kafka changed its Reader: re-check record-framing.ts before using it');
  (Reader.prototype as unknown as VarIntBytesReader).readVarIntBytes = function readVarIntBytes(
    this: VarIntBytesReader,
  ): Buffer | null {
    const length = this.readVarInt();
    if (length < 0) return null; // as Java's DefaultRecord.readFrom: null, nothing consumed
    const value = this.buffer.slice(this.position, this.position + length);
    this.position += length;
    return value;
  };
}

alignRecordReadingWithBroker();

/** Bytes of an unsigned varint. */
function varintBytes(value: bigint): number {
  let bytes = 1;
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes++;
  return bytes;
}

/** Bytes of a zigzag varint (Kafka's signed varint and varlong). */
const zigzagBytes = (value: number | bigint): number => {
  const big = BigInt(value);
  return varintBytes(big >= 0n ? big << 1n : (-big << 1n) - 1n);
};

const bytesField = (value: Buffer | null | undefined): number =>
  value === null || value === undefined ? 1 : zigzagBytes(value.length) + value.length;

/** Bytes of the header fields after the batch's length field (leader epoch, magic, crc … record count). */
const BATCH_HEADER_AFTER_LENGTH = 49;
const COMPRESSION_BITS = 0b111;

/**
 * True when the batch's records, encoded as Kafka encodes them (minimal varints), fill exactly the bytes its
 * header says. A compressed batch (stored before the topic was uncompressed) has compressed bytes to compare
 * with, so only its records' own lengths are checked.
 */
export function framingConsistent(batch: RecordsBatch): boolean {
  let recordsBytes = 0;
  for (const record of batch.records) {
    const body =
      1 + // attributes
      zigzagBytes(record.timestampDelta) +
      zigzagBytes(record.offsetDelta) +
      bytesField(record.key) +
      bytesField(record.value) +
      zigzagBytes(record.headers.length) +
      record.headers.reduce((sum, [key, value]) => sum + bytesField(key) + bytesField(value), 0);
    if (record.length !== body) return false;
    recordsBytes += zigzagBytes(body) + body;
  }
  if ((batch.attributes & COMPRESSION_BITS) !== 0) return true;
  return recordsBytes === batch.length - BATCH_HEADER_AFTER_LENGTH;
}
