// JSON shapes of the peer API (shares travel base64-encoded) and the headers that authenticate a peer:
// its node id and its own peer token (I-G4: each node has its own; only hashes are in the manifest).
export const PEER_NODE_HEADER = 'x-dsv-peer-node';
export const PEER_TOKEN_HEADER = 'x-dsv-peer-token';

export interface WireHealth {
  nodeId: string;
  applied: number[];
  /** The node's last readiness (issue 11), for `dsv status`; absent from older nodes. */
  ready?: { ready: boolean; reasons: string[] } | undefined;
}

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

const name = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const offset = { type: 'integer', minimum: 0 } as const;
export const base64 = { type: 'string', maxLength: 64 * 1024 * 1024 } as const;
const credential = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: { kind: { enum: ['token', 'anonymous'] }, credential: { type: 'string', maxLength: 64 } },
} as const;
export const index = { type: 'integer', minimum: 0, maximum: 254 } as const;
/** A share generation (proactive refresh, I-R1); absent from older nodes' requests. */
const generation = { type: 'integer', minimum: 0, maximum: 0xffff_ffff } as const;

export const stageSchema = {
  type: 'object',
  required: ['tenant', 'partition', 'minOffset', 'shards'],
  additionalProperties: false,
  properties: {
    tenant: name,
    partition: offset,
    minOffset: offset,
    shards: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['namespace', 'name', 'version', 'writeId', 'index', 'share', 'blinding', 'commitment'],
        additionalProperties: false,
        properties: {
          namespace: name,
          name,
          version: { type: 'integer', minimum: 1 },
          writeId: name,
          index,
          share: base64,
          blinding: { type: 'string', maxLength: 64 },
          commitment: { type: 'string', maxLength: 64 },
        },
      },
    },
  },
} as const;

/** One version's shard on a holder, as both a release and a recovery contribution name it. */
export const VERSION_ADDRESS = [
  'tenant',
  'namespace',
  'name',
  'partition',
  'minOffset',
  'version',
  'writeId',
] as const;
export const versionAddress = {
  tenant: name,
  namespace: name,
  name,
  partition: offset,
  minOffset: offset,
  version: { type: 'integer', minimum: 1 },
  writeId: name,
} as const;

export const readSchema = {
  type: 'object',
  required: [...VERSION_ADDRESS, 'credential', 'purpose'],
  additionalProperties: false,
  properties: {
    ...versionAddress,
    credential,
    purpose: { enum: ['read', 'compare'] },
    requestId: { type: 'string', maxLength: 128 },
    generation,
  },
} as const;

export const endorseSchema = {
  type: 'object',
  required: ['partition', 'entry', 'credential'],
  additionalProperties: false,
  properties: {
    partition: offset,
    entry: { type: 'object' },
    credential,
    requestId: { type: 'string', maxLength: 128 },
  },
} as const;

export const contributeSchema = {
  type: 'object',
  required: [...VERSION_ADDRESS, 'target', 'helpers', 'session'],
  additionalProperties: false,
  properties: {
    ...versionAddress,
    target: index,
    helpers: { type: 'array', items: index, maxItems: 255 },
    session: { type: 'string', minLength: 16, maxLength: 128 },
    generation,
  },
} as const;

export const awaitSchema = {
  type: 'object',
  required: ['partition', 'offset', 'timeoutMs'],
  additionalProperties: false,
  properties: {
    partition: offset,
    offset: { type: 'integer', minimum: -1 },
    timeoutMs: { type: 'integer', minimum: 0, maximum: 60000 },
  },
} as const;
