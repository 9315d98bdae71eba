// KMIP's Tag-Type-Length-Value encoding (KMIP 2.1 §9.1; unchanged since 1.0): a 3-byte tag, a 1-byte type, a
// 4-byte big-endian length, then the value padded with zeros to a multiple of 8 bytes.

export type TtlvItem =
  | { readonly tag: number; readonly type: 'structure'; readonly value: readonly TtlvItem[] }
  | { readonly tag: number; readonly type: 'integer' | 'enumeration' | 'interval'; readonly value: number }
  | { readonly tag: number; readonly type: 'longInteger' | 'bigInteger' | 'dateTime'; readonly value: bigint }
  | { readonly tag: number; readonly type: 'boolean'; readonly value: boolean }
  | { readonly tag: number; readonly type: 'textString'; readonly value: string }
  | { readonly tag: number; readonly type: 'byteString'; readonly value: Uint8Array };

export type TtlvType = TtlvItem['type'];

type ValueOf<T extends TtlvType> = T extends 'structure'
  ? readonly TtlvItem[]
  : T extends 'integer' | 'enumeration' | 'interval'
    ? number
    : T extends 'longInteger' | 'bigInteger' | 'dateTime'
      ? bigint
      : T extends 'boolean'
        ? boolean
        : T extends 'textString'
          ? string
          : Uint8Array;

/** An item known to be of type `T`. */
export type TtlvOf<T extends TtlvType> = TtlvItem & { readonly type: T; readonly value: ValueOf<T> };

const TYPE_CODES: Readonly<Record<TtlvType, number>> = {
  structure: 0x01,
  integer: 0x02,
  longInteger: 0x03,
  bigInteger: 0x04,
  enumeration: 0x05,
  boolean: 0x06,
  textString: 0x07,
  byteString: 0x08,
  dateTime: 0x09,
  interval: 0x0a,
};
const TYPE_NAMES = new Map<number, TtlvType>(
  Object.entries(TYPE_CODES).map(([name, code]) => [code, name as TtlvType]),
);

/** A malformed TTLV input; the message names the position and the rule, never the bytes. */
export class TtlvError extends Error {
  override readonly name = 'TtlvError';
}

const HEADER = 8;
/** Nesting deeper than any KMIP message needs is refused, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 32;

const padded = (length: number): number => Math.ceil(length / 8) * 8;

// ---- builders ---------------------------------------------------------------------------------------------

export const structure = (tag: number, ...value: (TtlvItem | undefined)[]): TtlvItem => ({
  tag,
  type: 'structure',
  value: value.filter((item): item is TtlvItem => item !== undefined),
});
export const integer = (tag: number, value: number): TtlvItem => ({ tag, type: 'integer', value });
export const enumeration = (tag: number, value: number): TtlvItem => ({ tag, type: 'enumeration', value });
export const boolean = (tag: number, value: boolean): TtlvItem => ({ tag, type: 'boolean', value });
export const textString = (tag: number, value: string): TtlvItem => ({ tag, type: 'textString', value });
export const byteString = (tag: number, value: Uint8Array): TtlvItem => ({ tag, type: 'byteString', value });

// ---- encoding ---------------------------------------------------------------------------------------------

/** Encodes one item (a whole message is one Structure). */
export function encodeTtlv(item: TtlvItem): Buffer {
  const out = Buffer.alloc(encodedLength(item));
  const end = write(item, out, 0);
  if (end !== out.length) throw new TtlvError('internal: encoded length mismatch');
  return out;
}

function valueLength(item: TtlvItem): number {
  switch (item.type) {
    case 'structure':
      return item.value.reduce((sum, child) => sum + encodedLength(child), 0);
    case 'integer':
    case 'enumeration':
    case 'interval':
      return 4;
    case 'longInteger':
    case 'dateTime':
    case 'boolean':
      return 8;
    case 'bigInteger':
      return bigIntegerBytes(item.value).length;
    case 'textString':
      return Buffer.byteLength(item.value, 'utf8');
    case 'byteString':
      return item.value.length;
  }
}

function encodedLength(item: TtlvItem): number {
  return HEADER + padded(valueLength(item));
}

function write(item: TtlvItem, out: Buffer, at: number): number {
  if (!Number.isInteger(item.tag) || item.tag < 0 || item.tag > 0xffffff) {
    throw new TtlvError(`tag ${item.tag} does not fit in 3 bytes`);
  }
  const length = valueLength(item);
  out.writeUIntBE(item.tag, at, 3);
  out[at + 3] = TYPE_CODES[item.type];
  out.writeUInt32BE(length, at + 4);
  const v = at + HEADER;
  switch (item.type) {
    case 'structure': {
      let next = v;
      for (const child of item.value) next = write(child, out, next);
      return next;
    }
    case 'integer':
      out.writeInt32BE(item.value, v);
      break;
    case 'enumeration':
    case 'interval':
      out.writeUInt32BE(item.value, v);
      break;
    case 'longInteger':
    case 'dateTime':
      out.writeBigInt64BE(item.value, v);
      break;
    case 'boolean':
      out.writeBigUInt64BE(item.value ? 1n : 0n, v);
      break;
    case 'bigInteger':
      out.set(bigIntegerBytes(item.value), v);
      break;
    case 'textString':
      out.write(item.value, v, 'utf8');
      break;
    case 'byteString':
      out.set(item.value, v);
      break;
  }
  return v + padded(length);
}

/** Two's complement, big-endian, sign-extended to a multiple of 8 bytes (KMIP's Big Integer). */
function bigIntegerBytes(value: bigint): Uint8Array {
  let bytes = 8;
  while (value < -(1n << BigInt(bytes * 8 - 1)) || value >= 1n << BigInt(bytes * 8 - 1)) bytes += 8;
  const out = new Uint8Array(bytes);
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// ---- decoding ---------------------------------------------------------------------------------------------

/**
 * Decodes exactly one item spanning all of `bytes`. Strict: lengths must match the type, padding must be zero,
 * Booleans 0 or 1, text valid UTF-8, structures must be filled exactly by their children.
 */
export function decodeTtlv(bytes: Uint8Array): TtlvItem {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [item, end] = read(buffer, 0, buffer.length, 0);
  if (end !== buffer.length) throw new TtlvError(`${buffer.length - end} bytes after the item`);
  return item;
}

/** The total length (header included) of the item whose 8-byte header starts `header`: for framing. */
export function ttlvFrameLength(header: Uint8Array): number {
  if (header.length < HEADER) throw new TtlvError('a TTLV header is 8 bytes');
  const view = Buffer.from(header.buffer, header.byteOffset, HEADER);
  if (view[3] !== TYPE_CODES.structure) throw new TtlvError('a KMIP message is a Structure');
  return HEADER + view.readUInt32BE(4);
}

const FIXED_LENGTH: Partial<Record<TtlvType, number>> = {
  integer: 4,
  enumeration: 4,
  interval: 4,
  longInteger: 8,
  dateTime: 8,
  boolean: 8,
};

function read(buffer: Buffer, at: number, limit: number, depth: number): [TtlvItem, number] {
  if (limit - at < HEADER) throw new TtlvError(`truncated header at offset ${at}`);
  const tag = buffer.readUIntBE(at, 3);
  const type = TYPE_NAMES.get(buffer[at + 3]!);
  if (type === undefined)
    throw new TtlvError(`unknown type 0x${buffer[at + 3]!.toString(16)} at offset ${at}`);
  const length = buffer.readUInt32BE(at + 4);
  const v = at + HEADER;
  const end = v + padded(length);
  if (end > limit) throw new TtlvError(`item at offset ${at} runs past its container`);
  const fixed = FIXED_LENGTH[type];
  if (fixed !== undefined && length !== fixed) {
    throw new TtlvError(`a ${type} at offset ${at} has length ${length}, not ${fixed}`);
  }
  for (let i = v + length; i < end; i++) {
    if (buffer[i] !== 0) throw new TtlvError(`non-zero padding after the item at offset ${at}`);
  }
  switch (type) {
    case 'structure': {
      if (length % 8 !== 0) throw new TtlvError(`a structure at offset ${at} has length ${length}`);
      if (depth >= MAX_DEPTH) throw new TtlvError(`structures nested deeper than ${MAX_DEPTH}`);
      const children: TtlvItem[] = [];
      let next = v;
      while (next < end) {
        const [child, after] = read(buffer, next, end, depth + 1);
        children.push(child);
        next = after;
      }
      return [{ tag, type, value: children }, end];
    }
    case 'integer':
      return [{ tag, type, value: buffer.readInt32BE(v) }, end];
    case 'enumeration':
    case 'interval':
      return [{ tag, type, value: buffer.readUInt32BE(v) }, end];
    case 'longInteger':
    case 'dateTime':
      return [{ tag, type, value: buffer.readBigInt64BE(v) }, end];
    case 'boolean': {
      const raw = buffer.readBigUInt64BE(v);
      if (raw > 1n) throw new TtlvError(`a boolean at offset ${at} is neither 0 nor 1`);
      return [{ tag, type, value: raw === 1n }, end];
    }
    case 'bigInteger': {
      if (length === 0 || length % 8 !== 0) {
        throw new TtlvError(`a bigInteger at offset ${at} has length ${length}`);
      }
      let value = 0n;
      for (let i = v; i < v + length; i++) value = (value << 8n) | BigInt(buffer[i]!);
      return [{ tag, type, value: BigInt.asIntN(length * 8, value) }, end];
    }
    case 'textString': {
      let value: string;
      try {
        value = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(v, v + length));
      } catch {
        throw new TtlvError(`a text string at offset ${at} is not UTF-8`);
      }
      return [{ tag, type, value }, end];
    }
    case 'byteString':
      return [{ tag, type, value: new Uint8Array(buffer.subarray(v, v + length)) }, end];
  }
}

// ---- reading decoded structures ---------------------------------------------------------------------------

/** The children of `item` with `tag` (item must be a structure). */
export function childrenOf(item: TtlvItem, tag: number): TtlvItem[] {
  if (item.type !== 'structure') throw new TtlvError(`0x${item.tag.toString(16)} is not a structure`);
  return item.value.filter((child) => child.tag === tag);
}

/** The one child with `tag` and `type`, or undefined when absent; a second one or another type is an error. */
export function optionalChild<T extends TtlvType>(
  item: TtlvItem,
  tag: number,
  type: T,
): TtlvOf<T> | undefined {
  const found = childrenOf(item, tag);
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new TtlvError(`0x${tag.toString(16)} appears ${found.length} times`);
  const child = found[0]!;
  if (child.type !== type) throw new TtlvError(`0x${tag.toString(16)} is a ${child.type}, not a ${type}`);
  return child as TtlvOf<T>;
}

export function requiredChild<T extends TtlvType>(item: TtlvItem, tag: number, type: T): TtlvOf<T> {
  const child = optionalChild(item, tag, type);
  if (child === undefined) throw new TtlvError(`0x${tag.toString(16)} is missing`);
  return child;
}
