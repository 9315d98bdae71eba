// The integrity tag inside every shared payload (DESIGN §7 step 3): it binds the value to its identity, so a
// wrong subset of shares, a tampered share or a share moved from another secret fails the check (I-C1).
import { createHash, timingSafeEqual } from 'node:crypto';
import { DsvError } from '../errors/index.ts';

/** Which secret version a value belongs to (DESIGN §4); bound into the tag. */
export interface SecretIdentity {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
}

/** Domain separation: a tag computed for anything else never verifies here, and v2 can change the format. */
export const PAYLOAD_DOMAIN = 'dsv/shamir-payload/v1';

/** 128 bits: a wrong payload verifies with probability 2^-128. */
export const TAG_LENGTH = 16;

const MAX_FIELD_LENGTH = 0xffff_ffff;
const encoder = new TextEncoder();

/**
 * First 16 bytes of SHA-256 over u32be(len) ‖ bytes for the domain, tenant, namespace and name, then
 * u64be(version), then u32be(len) ‖ value. Every variable field is length-prefixed, so no two different
 * (identity, value) pairs share an encoding (names are opaque and may contain any character, DESIGN §4).
 */
export function payloadTag(identity: SecretIdentity, value: Uint8Array): Uint8Array {
  checkIdentity(identity);
  const hash = createHash('sha256');
  for (const field of [PAYLOAD_DOMAIN, identity.tenant, identity.namespace, identity.name]) {
    writeField(hash, encoder.encode(field));
  }
  const versionBytes = new Uint8Array(8);
  new DataView(versionBytes.buffer).setBigUint64(0, BigInt(identity.version));
  hash.update(versionBytes);
  writeField(hash, value);
  return new Uint8Array(hash.digest().subarray(0, TAG_LENGTH));
}

/** value ‖ tag: what splitSecret shares. */
export function sealPayload(identity: SecretIdentity, value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid('the value must be bytes');
  const payload = new Uint8Array(value.length + TAG_LENGTH);
  payload.set(value, 0);
  payload.set(payloadTag(identity, value), value.length);
  return payload;
}

/**
 * The value inside `payload` when its tag verifies for `identity`, else undefined. The comparison is
 * constant-time so a caller probing with forged shares learns nothing from timing.
 */
export function openPayload(identity: SecretIdentity, payload: Uint8Array): Uint8Array | undefined {
  if (payload.length < TAG_LENGTH) return undefined;
  const value = payload.subarray(0, payload.length - TAG_LENGTH);
  const expected = payloadTag(identity, value);
  return timingSafeEqual(expected, payload.subarray(payload.length - TAG_LENGTH)) ? value : undefined;
}

/** Rejects identities the tag cannot encode unambiguously (DSV_INPUT_INVALID). */
export function checkIdentity(identity: SecretIdentity): void {
  if (typeof identity !== 'object' || identity === null) throw invalid('the identity is missing');
  for (const field of [identity.tenant, identity.namespace, identity.name]) {
    // A lone surrogate would be encoded as U+FFFD and collide with a real U+FFFD, so refuse it.
    if (typeof field !== 'string' || !field.isWellFormed()) throw invalid('identity fields must be text');
  }
  const { version } = identity;
  if (!Number.isSafeInteger(version) || version < 0)
    throw invalid('the version must be a non-negative integer');
}

function writeField(hash: ReturnType<typeof createHash>, bytes: Uint8Array): void {
  if (bytes.length > MAX_FIELD_LENGTH) throw invalid('a field is too long to encode');
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, bytes.length);
  hash.update(prefix);
  hash.update(bytes);
}

function invalid(message: string): DsvError {
  return new DsvError('DSV_INPUT_INVALID', message);
}
