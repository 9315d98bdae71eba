// JSON schemas of the client-side routes (docs/client-side-protocol.md): Fastify validates requests with them
// before a handler runs, so a malformed call is a 400 DSV_INPUT_INVALID, never a 500.
const text = { type: 'string', minLength: 1, maxLength: 65536 } as const;
const id = { type: 'string', minLength: 1, maxLength: 256 } as const;
const base64 = { type: 'string', maxLength: 64 * 1024 * 1024, pattern: '^[A-Za-z0-9+/]*={0,2}$' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const version = { type: 'integer', minimum: 1 } as const;

export const HOLDER_HEADERS = {
  type: 'object',
  required: ['x-dsv-node-credential'],
  properties: { 'x-dsv-node-credential': { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

export const WRITE_ID_PARAMS = {
  type: 'object',
  required: ['writeId'],
  properties: { writeId: id },
} as const;

export const CLIENT_WRITE_BODY = {
  type: 'object',
  required: ['ops'],
  additionalProperties: false,
  properties: {
    /** The 2nd or 3rd attempt of an idempotent create-or-update, as the server-side upsert makes them. */
    attempt: { type: 'integer', enum: [2, 3] },
    ops: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['op', 'namespace', 'name'],
        additionalProperties: false,
        properties: {
          op: { type: 'string', enum: ['create', 'update', 'delete', 'read'] },
          namespace: text,
          name: text,
          expectedVersion: version,
          version,
        },
      },
    },
  },
} as const;

export const CLIENT_COMMIT_BODY = {
  type: 'object',
  required: ['receipts'],
  additionalProperties: false,
  properties: {
    unchanged: { type: 'array', maxItems: 10_000, items: count },
    receipts: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        required: ['namespace', 'name', 'node', 'index', 'commitment', 'receipt'],
        additionalProperties: false,
        properties: {
          namespace: text,
          name: text,
          node: id,
          index: { type: 'integer', minimum: 0, maximum: 254 },
          commitment: { type: 'string', minLength: 1, maxLength: 128 },
          receipt: { type: 'string', minLength: 1, maxLength: 512 },
        },
      },
    },
  },
} as const;

export const CLIENT_STAGE_BODY = {
  type: 'object',
  required: ['tenant', 'partition', 'minOffset', 'shards'],
  additionalProperties: false,
  properties: {
    tenant: text,
    partition: count,
    minOffset: count,
    shards: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['namespace', 'name', 'version', 'writeId', 'index', 'share', 'blinding', 'commitment'],
        additionalProperties: false,
        properties: {
          namespace: text,
          name: text,
          version,
          writeId: id,
          index: { type: 'integer', minimum: 0, maximum: 254 },
          share: base64,
          blinding: { type: 'string', minLength: 44, maxLength: 44 },
          commitment: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
    },
  },
} as const;

export const CLIENT_SHARD_BODY = {
  type: 'object',
  required: ['tenant', 'namespace', 'name', 'version', 'writeId', 'partition', 'minOffset', 'purpose'],
  additionalProperties: false,
  properties: {
    tenant: text,
    namespace: text,
    name: text,
    version,
    writeId: id,
    partition: count,
    minOffset: count,
    purpose: { type: 'string', enum: ['read', 'compare'] },
    generation: count,
    /** The client asked for the latest version: the holder releases only if it is (a lying resolver cannot roll a read back). */
    latest: { type: 'boolean' },
  },
} as const;

export const CLIENT_ORDER_BODY = {
  type: 'object',
  required: ['writeId', 'endorsements'],
  additionalProperties: false,
  properties: {
    writeId: id,
    endorsements: {
      type: 'array',
      maxItems: 255,
      items: {
        type: 'object',
        required: ['node', 'sig'],
        additionalProperties: false,
        properties: { node: id, sig: { type: 'string', minLength: 1, maxLength: 512 } },
      },
    },
  },
} as const;

export const CLIENT_ENDORSE_BODY = {
  type: 'object',
  required: ['partition', 'intent'],
  additionalProperties: false,
  properties: { partition: count, intent: { type: 'object' } },
} as const;
