// JSON shapes of the peer API (shares travel base64-encoded) and the header that authenticates a peer.
export const PEER_TOKEN_HEADER = 'x-dsv-peer-token';

export interface WireStageShard {
  namespace: string;
  name: string;
  version: number;
  writeId: string;
  index: number;
  share: string;
}

export interface WireStageRequest {
  tenant: string;
  partition: number;
  minOffset: number;
  shards: WireStageShard[];
}

export interface WireReadRequest {
  tenant: string;
  namespace: string;
  name: string;
  partition: number;
  minOffset: number;
  version: number;
  writeId: string;
}

export interface WireAwaitRequest {
  partition: number;
  offset: number;
  timeoutMs: number;
}

export interface WireHealth {
  nodeId: string;
  applied: number[];
}

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

const name = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const offset = { type: 'integer', minimum: 0 } as const;

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
        required: ['namespace', 'name', 'version', 'writeId', 'index', 'share'],
        additionalProperties: false,
        properties: {
          namespace: name,
          name,
          version: { type: 'integer', minimum: 1 },
          writeId: name,
          index: { type: 'integer', minimum: 0, maximum: 254 },
          share: { type: 'string' },
        },
      },
    },
  },
} as const;

export const readSchema = {
  type: 'object',
  required: ['tenant', 'namespace', 'name', 'partition', 'minOffset', 'version', 'writeId'],
  additionalProperties: false,
  properties: {
    tenant: name,
    namespace: name,
    name,
    partition: offset,
    minOffset: offset,
    version: { type: 'integer', minimum: 1 },
    writeId: name,
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
