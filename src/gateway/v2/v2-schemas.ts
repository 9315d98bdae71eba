// JSON schemas of the v2 secret API: Fastify validates requests with them, and @fastify/swagger turns them
// into the OpenAPI document (DESIGN §2 "OpenAPI document generated from the routes", §9).

/** RFC 9457 problem details with the stable DSV code (problem-json.ts builds them). */
export const PROBLEM_SCHEMA = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the stable DSV error code (docs/error-codes.md).',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', pattern: '^DSV_[A-Z_]+$' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
});

/** The error answers every secret route may give (DESIGN §11). */
export const ERROR_RESPONSES = {
  '4xx': problem('Invalid input (400), authentication (401), authorisation (403), missing (404), …'),
  '5xx': problem(
    '503: the log, a write quorum or enough shards were unavailable; 507: a disk of the node is nearly full and it refuses writes (DSV_DISK_FULL); anything else is a bug',
  ),
} as const;

const segment = (what: string) => ({
  type: 'string',
  minLength: 1,
  description:
    `The ${what}, percent-encoded as one path segment (\`/\` as \`%2F\`); canonicalised to Unicode NFC ` +
    'before use, as policies are.',
});

export const NAMESPACE_PARAMS = {
  type: 'object',
  required: ['namespace'],
  properties: { namespace: segment('namespace') },
} as const;

export const SECRET_PARAMS = {
  type: 'object',
  required: ['namespace', 'name'],
  properties: { namespace: segment('namespace'), name: segment('secret name') },
} as const;

export const WRITE_HEADERS = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      description: 'Compare-and-set: `"<version>"` (or a list of them) that must be the latest, or `*`.',
    },
    'if-none-match': { type: 'string', description: '`*`: create only (409 DSV_SECRET_EXISTS if present).' },
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Safe retries: a repeated key answers as the first request did (per tenant).',
    },
  },
} as const;

export const DELETE_HEADERS = {
  type: 'object',
  properties: {
    'if-match': WRITE_HEADERS.properties['if-match'],
    'idempotency-key': WRITE_HEADERS.properties['idempotency-key'],
  },
} as const;

export const PUT_BODY = {
  type: 'object',
  required: ['value'],
  additionalProperties: false,
  properties: {
    value: {
      type: 'string',
      description: 'The secret value: UTF-8 text, or the bytes in base64 when `encoding` is `base64`.',
    },
    encoding: {
      type: 'string',
      enum: ['utf8', 'base64'],
      default: 'utf8',
      description:
        '`base64` for a value that is not UTF-8 text (any bytes; standard alphabet, padded). The stored ' +
        'value is the decoded bytes, so either form of the same bytes is the same value.',
    },
  },
} as const;

const TIME = { type: 'string', format: 'date-time' } as const;

export const WRITE_RESPONSE = {
  type: 'object',
  required: ['version'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    created: { type: 'boolean', description: 'Present (true) when the request created the secret.' },
    unchanged: {
      type: 'boolean',
      description: 'Present (true) when the value equalled the latest version: no new version.',
    },
  },
} as const;

export const READ_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { type: 'integer', minimum: 1, description: 'A version number; excludes `asOf`.' },
    asOf: { ...TIME, description: 'RFC 3339 time: the version valid at that instant; excludes `version`.' },
  },
} as const;

const VALIDITY = {
  validFrom: { ...TIME, description: 'When this version became the current one.' },
  validTo: { type: ['string', 'null'], format: 'date-time', description: 'null while current.' },
} as const;

export const READ_RESPONSE = {
  type: 'object',
  required: ['namespace', 'name', 'value', 'version', 'validFrom', 'validTo'],
  properties: {
    namespace: { type: 'string' },
    name: { type: 'string' },
    value: {
      type: 'string',
      description: 'The value as UTF-8 text; base64 of its bytes when `encoding` is `base64`.',
    },
    encoding: {
      type: 'string',
      enum: ['base64'],
      description: 'Present (`base64`) only when the stored bytes are not valid UTF-8.',
    },
    version: { type: 'integer', minimum: 1 },
    ...VALIDITY,
  },
} as const;

export const VERSIONS_RESPONSE = {
  type: 'object',
  required: ['namespace', 'name', 'versions'],
  properties: {
    namespace: { type: 'string' },
    name: { type: 'string' },
    versions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['version', 'validFrom', 'validTo'],
        properties: { version: { type: 'integer', minimum: 1 }, ...VALIDITY },
      },
    },
  },
} as const;

export const MAX_LIST_LIMIT = 1000;

export const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prefix: { type: 'string', default: '', description: 'Only names starting with this (NFC).' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: 100 },
    cursor: { type: 'string', maxLength: 65536, description: 'The `next` of the previous page (opaque).' },
  },
} as const;

export const LIST_RESPONSE = {
  type: 'object',
  required: ['names'],
  properties: {
    names: { type: 'array', items: { type: 'string' } },
    next: { type: 'string', description: 'Present when more names may follow: pass it as `cursor`.' },
  },
} as const;

export const NAMESPACES_QUERY = {
  ...LIST_QUERY,
  properties: {
    ...LIST_QUERY.properties,
    prefix: { type: 'string', default: '', description: 'Only namespaces starting with this (NFC).' },
  },
} as const;

export const NAMESPACES_RESPONSE = {
  type: 'object',
  required: ['namespaces'],
  properties: {
    namespaces: { type: 'array', items: { type: 'string' } },
    next: { type: 'string', description: 'Present when more namespaces follow: pass it as `cursor`.' },
  },
} as const;

export const ENV_QUERY = {
  type: 'object',
  required: ['namespace'],
  properties: { namespace: { type: 'string', minLength: 1 } },
} as const;

const ENV_JSON = {
  type: 'object',
  required: ['content'],
  properties: { content: { type: 'string', description: 'The .env file (src/gateway/env/README.md).' } },
} as const;

export const ENV_BODY = {
  content: {
    'text/plain': { schema: { type: 'string' } },
    'application/json': { schema: ENV_JSON },
  },
} as const;

export const ENV_RESPONSE = {
  description: 'The transformed file, in the media type of the request (text in, text out).',
  content: {
    'text/plain': { schema: { type: 'string' } },
    'application/json': { schema: ENV_JSON },
  },
} as const;
