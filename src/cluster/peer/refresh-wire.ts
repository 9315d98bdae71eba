// The peer API of proactive share refresh (I-R1, I-R2): `/peer/v1/refresh/deal`, `/apply`, `/confirm`. JSON
// with bytes in base64; every body names the session the way the log's refresh-start does.
import type { RefreshReceipt } from '../../secrets/index.ts';
import type { RefreshAddress, RefreshApplied, RefreshDealing, ZeroCheckShare } from '../refresh-types.ts';
import {
  base64 as bytes,
  fromBase64,
  index,
  toBase64,
  VERSION_ADDRESS,
  versionAddress,
} from './peer-wire.ts';

const indexes = { type: 'array', items: index, minItems: 1, maxItems: 255 } as const;
const mac = { type: 'string', maxLength: 64 } as const;

/** A refresh session: the version's address, the new generation, the session and its participants. */
const ADDRESS = [...VERSION_ADDRESS, 'generation', 'session', 'participants'] as const;
const address = {
  ...versionAddress,
  generation: { type: 'integer', minimum: 1, maximum: 0xffff_ffff },
  session: { type: 'string', minLength: 16, maxLength: 128 },
  participants: indexes,
} as const;

const dealing = {
  type: 'object',
  required: ['dealer', 'recipient', 'masked', 'mac'],
  additionalProperties: false,
  properties: { dealer: index, recipient: index, masked: bytes, mac },
} as const;

const check = {
  type: 'object',
  required: ['subset', 'from', 'value', 'macs'],
  additionalProperties: false,
  properties: {
    subset: indexes,
    from: index,
    value: bytes,
    macs: { type: 'object', maxProperties: 255, additionalProperties: mac },
  },
} as const;

export const refreshDealSchema = {
  type: 'object',
  required: [...ADDRESS],
  additionalProperties: false,
  properties: address,
} as const;

export const refreshApplySchema = {
  type: 'object',
  required: [...ADDRESS, 'dealings'],
  additionalProperties: false,
  properties: { ...address, dealings: { type: 'array', items: dealing, maxItems: 255 } },
} as const;

export const refreshConfirmSchema = {
  type: 'object',
  required: [...ADDRESS, 'checks'],
  additionalProperties: false,
  properties: { ...address, checks: { type: 'array', items: check, maxItems: 65_536 } },
} as const;

type Body = Record<string, unknown>;
type WireDealing = { dealer: number; recipient: number; masked: string; mac: string };
type WireCheck = { subset: number[]; from: number; value: string; macs: Record<string, string> };

export function addressToWire(request: RefreshAddress): Body {
  const { key, partition, minOffset, version, writeId, generation, session, participants } = request;
  return { ...key, partition, minOffset, version, writeId, generation, session, participants };
}

export function addressFromWire(body: Body): RefreshAddress {
  return {
    key: { tenant: String(body.tenant), namespace: String(body.namespace), name: String(body.name) },
    partition: Number(body.partition),
    minOffset: Number(body.minOffset),
    version: Number(body.version),
    writeId: String(body.writeId),
    generation: Number(body.generation),
    session: String(body.session),
    participants: body.participants as number[],
  };
}

export const dealingToWire = (value: RefreshDealing): WireDealing => ({
  dealer: value.dealer,
  recipient: value.recipient,
  masked: toBase64(value.masked),
  mac: value.mac,
});

export const dealingFromWire = (value: WireDealing): RefreshDealing => ({
  ...value,
  masked: fromBase64(value.masked),
});

export const checkToWire = (value: ZeroCheckShare): WireCheck => ({
  subset: [...value.subset],
  from: value.from,
  value: toBase64(value.value),
  macs: { ...value.macs },
});

export const checkFromWire = (value: WireCheck): ZeroCheckShare => ({
  ...value,
  value: fromBase64(value.value),
});

export const appliedToWire = (value: RefreshApplied): Body => ({
  index: value.index,
  commitment: value.commitment,
  checks: value.checks.map(checkToWire),
});

/** An answer that is not the expected shape is a peer that did not answer. */
export function appliedFromWire(body: unknown): RefreshApplied | undefined {
  const value = body as { index?: unknown; commitment?: unknown; checks?: unknown } | undefined;
  if (
    typeof value?.index !== 'number' ||
    typeof value.commitment !== 'string' ||
    !Array.isArray(value.checks)
  )
    return undefined;
  return {
    index: value.index,
    commitment: value.commitment,
    checks: (value.checks as WireCheck[]).map(checkFromWire),
  };
}

export function dealingsFromWire(body: unknown): RefreshDealing[] | undefined {
  const dealings = (body as { dealings?: unknown } | undefined)?.dealings;
  return Array.isArray(dealings) ? (dealings as WireDealing[]).map(dealingFromWire) : undefined;
}

export function receiptFromWire(body: unknown): RefreshReceipt | undefined {
  const value = body as Partial<RefreshReceipt> | undefined;
  const { index, node, commitment, receipt } = value ?? {};
  if (typeof index !== 'number' || typeof node !== 'string') return undefined;
  if (typeof commitment !== 'string' || typeof receipt !== 'string') return undefined;
  return { index, node, commitment, receipt };
}
