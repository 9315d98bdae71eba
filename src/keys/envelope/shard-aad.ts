// The shard identity as AAD bytes: fixed field order, fixed-width integers, u32-length-prefixed UTF-8 (I-S2).
import { DsvError } from '../../errors/index.ts';
import type { ShardIdentity } from '../../shards/index.ts';

const MAX_U32 = 0xffff_ffff;
const encoder = new TextEncoder();

type Field =
  | { readonly kind: 'text'; readonly bytes: Uint8Array }
  | { readonly kind: 'u32' | 'u64'; readonly value: number };

function text(field: string, value: string): Field {
  // Lone surrogates all encode to U+FFFD, so two different identities could share AAD bytes: refuse them.
  if (typeof value !== 'string' || !value.isWellFormed()) {
    throw new DsvError('DSV_INPUT_INVALID', `Shard identity field '${field}' is not a well-formed string`);
  }
  const bytes = encoder.encode(value);
  if (bytes.length > MAX_U32)
    throw new DsvError('DSV_INPUT_INVALID', `Shard identity field '${field}' is too long`);
  return { kind: 'text', bytes };
}

function integer(field: string, value: number, kind: 'u32' | 'u64'): Field {
  const max = kind === 'u32' ? MAX_U32 : Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `Shard identity field '${field}' must be an integer in 0..${max}`,
    );
  }
  return { kind, value };
}

/**
 * Encodes every field of the identity (DESIGN §8; layout in docs/envelope.md). The order and widths are
 * fixed, each string carries its own length, so no two distinct identities share an encoding.
 */
export function encodeShardIdentity(identity: ShardIdentity): Uint8Array {
  const fields: Field[] = [
    text('tenant', identity.tenant),
    text('namespace', identity.namespace),
    text('name', identity.name),
    integer('version', identity.version, 'u64'),
    text('writeId', identity.writeId),
    integer('index', identity.index, 'u32'),
    text('node', identity.node),
  ];
  // Generation 0 (every share a write stored) keeps the original encoding, so existing envelopes still open;
  // a refreshed share appends its generation (I-R1), which no identity without it can encode.
  const generation = identity.generation ?? 0;
  if (generation !== 0) fields.push(integer('generation', generation, 'u32'));
  let length = 0;
  for (const f of fields) length += f.kind === 'text' ? 4 + f.bytes.length : f.kind === 'u32' ? 4 : 8;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of fields) {
    switch (f.kind) {
      case 'text':
        view.setUint32(at, f.bytes.length);
        out.set(f.bytes, at + 4);
        at += 4 + f.bytes.length;
        break;
      case 'u32':
        view.setUint32(at, f.value);
        at += 4;
        break;
      case 'u64':
        view.setBigUint64(at, BigInt(f.value));
        at += 8;
        break;
    }
  }
  return out;
}
