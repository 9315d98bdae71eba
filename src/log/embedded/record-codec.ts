// The embedded log's on-disk record frame: [length u32][crc32 u32][key length u16][key utf8][value], big-endian.
import { crc32 } from 'node:zlib';

/** Bytes before the payload: the length field and the crc field. */
export const FRAME_HEADER_BYTES = 8;
/** Largest value the embedded log takes; keeps a corrupt length field from looking plausible. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** `length` counts the payload: key length (2) + key + value. */
const MIN_PAYLOAD_BYTES = 2;
const MAX_PAYLOAD_BYTES = 2 + 0xffff + MAX_VALUE_BYTES;

export interface FrameInput {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export function frameBytes(keyLength: number, valueLength: number): number {
  return FRAME_HEADER_BYTES + 2 + keyLength + valueLength;
}

/** Encodes many records into one buffer, so a group-commit batch is a single write. */
export function encodeFrames(records: readonly FrameInput[]): Buffer {
  let total = 0;
  for (const r of records) total += frameBytes(r.key.length, r.value.length);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const r of records) {
    const payload = 2 + r.key.length + r.value.length;
    out.writeUInt32BE(payload, pos);
    out.writeUInt16BE(r.key.length, pos + 8);
    out.set(r.key, pos + 10);
    out.set(r.value, pos + 10 + r.key.length);
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
  if (2 + buf.readUInt16BE(at + 8) > payload) return { kind: 'bad', reason: 'key longer than record' };
  return { kind: 'ok', end: pos + FRAME_HEADER_BYTES + payload };
}

export interface DecodedFrame {
  readonly key: string;
  readonly value: Uint8Array;
}

/**
 * Decodes a frame that `checkFrame` accepted, starting at index `at` of `buf`. The value is a view into
 * `buf` (copying each value costs 10× more): pass a buffer that belongs to this one read, not a pooled one,
 * so a caller mutating a value can touch nothing but its own copy of the file's bytes (I-L3).
 */
export function decodeFrame(buf: Buffer, at: number): DecodedFrame {
  const payload = buf.readUInt32BE(at);
  const keyLength = buf.readUInt16BE(at + 8);
  const keyStart = at + 10;
  return {
    key: buf.toString('utf8', keyStart, keyStart + keyLength),
    value: buf.subarray(keyStart + keyLength, at + FRAME_HEADER_BYTES + payload),
  };
}
