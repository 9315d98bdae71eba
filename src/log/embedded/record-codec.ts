// The embedded log's on-disk record frame, big-endian:
// [length u32][crc32 u32][flags+key length u16][timestamp u64, when flagged][key utf8][value].
// The high bit of the key-length field says "an 8-byte append timestamp follows"; frames written before
// timestamps existed lack it and decode with timestamp 0.
import { crc32 } from 'node:zlib';

/** Bytes before the payload: the length field and the crc field. */
export const FRAME_HEADER_BYTES = 8;
/** Largest value the embedded log takes; keeps a corrupt length field from looking plausible. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** `length` counts the payload: key length (2) + timestamp (8, new frames) + key + value. */
const MIN_PAYLOAD_BYTES = 2;
const MAX_PAYLOAD_BYTES = 2 + 8 + 0xffff + MAX_VALUE_BYTES;
/** Set in the key-length field: an 8-byte timestamp follows it. Keys are therefore at most 0x7fff bytes. */
const HAS_TIMESTAMP = 0x8000;
const TIMESTAMP_BYTES = 8;

export interface FrameInput {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** ms since the epoch: when the log appended the record. */
  readonly timestamp: number;
}

/** Size of a frame as written now (always with a timestamp). */
export function frameBytes(keyLength: number, valueLength: number): number {
  return FRAME_HEADER_BYTES + 2 + TIMESTAMP_BYTES + keyLength + valueLength;
}

/** Encodes many records into one buffer, so a group-commit batch is a single write. */
export function encodeFrames(records: readonly FrameInput[]): Buffer {
  let total = 0;
  for (const r of records) total += frameBytes(r.key.length, r.value.length);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const r of records) {
    const payload = 2 + TIMESTAMP_BYTES + r.key.length + r.value.length;
    out.writeUInt32BE(payload, pos);
    out.writeUInt16BE(HAS_TIMESTAMP | r.key.length, pos + 8);
    out.writeBigUInt64BE(BigInt(r.timestamp), pos + 10);
    const keyStart = pos + 10 + TIMESTAMP_BYTES;
    out.set(r.key, keyStart);
    out.set(r.value, keyStart + r.key.length);
    out.writeUInt32BE(frameCrc(out, pos, payload), pos + 4);
    pos += FRAME_HEADER_BYTES + payload;
  }
  return out;
}

/** The crc covers the length field too, so a flipped length bit is caught even when the new length fits. */
function frameCrc(buf: Buffer, pos: number, payload: number): number {
  const lengthCrc = crc32(buf.subarray(pos, pos + 4));
  return crc32(buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + payload), lengthCrc);
}

/**
 * What lies at `pos` in `buf` (which holds the file from `bufStart`, up to `fileSize`):
 * - `ok`: a whole, valid frame ending at `end` (a file position);
 * - `short`: the frame continues past the end of `buf` but within the file — read more and retry;
 * - `torn`: the frame would run past the end of the file (a write cut short by a crash);
 * - `bad`: the length is impossible, the key length does not fit, or the crc does not match.
 */
export type FrameCheck =
  | { readonly kind: 'ok'; readonly end: number }
  | { readonly kind: 'short'; readonly need: number }
  | { readonly kind: 'torn' }
  | { readonly kind: 'bad'; readonly reason: string };

export function checkFrame(buf: Buffer, bufStart: number, pos: number, fileSize: number): FrameCheck {
  const at = pos - bufStart;
  if (pos + FRAME_HEADER_BYTES > fileSize) return { kind: 'torn' };
  if (at + FRAME_HEADER_BYTES > buf.length) return { kind: 'short', need: FRAME_HEADER_BYTES };
  const payload = buf.readUInt32BE(at);
  if (payload < MIN_PAYLOAD_BYTES || payload > MAX_PAYLOAD_BYTES) {
    return { kind: 'bad', reason: 'impossible record length' };
  }
  if (pos + FRAME_HEADER_BYTES + payload > fileSize) return { kind: 'torn' };
  if (at + FRAME_HEADER_BYTES + payload > buf.length)
    return { kind: 'short', need: FRAME_HEADER_BYTES + payload };
  if (frameCrc(buf, at, payload) !== buf.readUInt32BE(at + 4)) return { kind: 'bad', reason: 'crc mismatch' };
  if (keyEnd(buf.readUInt16BE(at + 8)) > payload) return { kind: 'bad', reason: 'key longer than record' };
  return { kind: 'ok', end: pos + FRAME_HEADER_BYTES + payload };
}

/** Payload bytes up to the end of the key, for a key-length field (flag included). */
function keyEnd(field: number): number {
  return 2 + (field & HAS_TIMESTAMP ? TIMESTAMP_BYTES : 0) + (field & ~HAS_TIMESTAMP);
}

export interface DecodedFrame {
  readonly key: string;
  readonly value: Uint8Array;
  /** 0 for a frame written before timestamps were stored. */
  readonly timestamp: number;
}

/** The timestamp of a frame that `checkFrame` accepted, at index `at` of `buf` (0 when it has none). */
export function frameTimestamp(buf: Buffer, at: number): number {
  const field = buf.readUInt16BE(at + 8);
  return field & HAS_TIMESTAMP ? Number(buf.readBigUInt64BE(at + 10)) : 0;
}

/**
 * Decodes a frame that `checkFrame` accepted, starting at index `at` of `buf`. The value is a view into
 * `buf` (copying each value costs 10× more): pass a buffer that belongs to this one read, not a pooled one,
 * so a caller mutating a value can touch nothing but its own copy of the file's bytes (I-L3).
 */
export function decodeFrame(buf: Buffer, at: number): DecodedFrame {
  const payload = buf.readUInt32BE(at);
  const field = buf.readUInt16BE(at + 8);
  const keyLength = field & ~HAS_TIMESTAMP;
  const keyStart = at + FRAME_HEADER_BYTES + keyEnd(field) - keyLength;
  return {
    key: buf.toString('utf8', keyStart, keyStart + keyLength),
    value: buf.subarray(keyStart + keyLength, at + FRAME_HEADER_BYTES + payload),
    timestamp: frameTimestamp(buf, at),
  };
}
