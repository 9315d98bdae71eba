// The one registry of stable error codes: each code carries its category and HTTP status (DESIGN §11).
// docs/error-codes.md is checked against this table by src/errors/registry.test.ts.

export type ErrorCategory = 'invalid' | 'auth' | 'missing' | 'conflict' | 'limit' | 'unavailable' | 'bug';

export interface ErrorSpec {
  readonly status: number;
  readonly category: ErrorCategory;
  /** Default message: safe to show, never contains secret material (I-G2). */
  readonly message: string;
  /** Whether a client may retry the same request unchanged. */
  readonly retriable: boolean;
}

const spec = (status: number, category: ErrorCategory, message: string, retriable = false): ErrorSpec => ({
  status,
  category,
  message,
  retriable,
});

export const ERROR_CODES = {
  DSV_INPUT_INVALID: spec(400, 'invalid', 'Invalid request'),
  DSV_INPUT_MALFORMED_JSON: spec(400, 'invalid', 'Malformed JSON request body'),
  DSV_ENV_INVALID: spec(400, 'invalid', 'Invalid .env file'),
  DSV_AUTH_REQUIRED: spec(401, 'auth', 'Authentication required'),
  DSV_AUTH_FORBIDDEN: spec(403, 'auth', 'Permission denied'),
  DSV_APPROVAL_REQUIRED: spec(
    403,
    'auth',
    "A root token reads and changes no tenant's secrets without an approval from the tenant's admin",
  ),
  DSV_ROUTE_NOT_FOUND: spec(404, 'missing', 'Not found'),
  DSV_SECRET_NOT_FOUND: spec(404, 'missing', 'Secret not found'),
  DSV_METHOD_NOT_ALLOWED: spec(405, 'invalid', 'Method not allowed'),
  DSV_TENANT_SHREDDED: spec(410, 'missing', 'The tenant has been crypto-shredded; its data is gone'),
  DSV_SECRET_EXISTS: spec(409, 'conflict', 'Secret already exists'),
  DSV_WRITE_CONFLICT: spec(409, 'conflict', 'Another write on this secret is in progress', true),
  DSV_PRECONDITION_FAILED: spec(412, 'conflict', 'The secret is not at the version the request expected'),
  DSV_RETENTION_HOLD: spec(409, 'conflict', 'A retention hold covers this; release the hold first'),
  DSV_WRITE_NOT_PREPARED: spec(
    409,
    'conflict',
    'No such prepared client-side write here; prepare it again',
    true,
  ),
  DSV_HOLD_NOT_FOUND: spec(404, 'missing', 'No such retention hold, or it is already released'),
  DSV_APPROVAL_NOT_FOUND: spec(
    404,
    'missing',
    'No such approval in this tenant, or it is no longer in force',
  ),
  DSV_VALUE_TOO_LARGE: spec(413, 'limit', 'Secret value too large'),
  DSV_ENV_BUDGET_EXCEEDED: spec(
    413,
    'limit',
    'The .env file names more secrets, or more bytes of values, than one request may resolve',
  ),
  DSV_TOO_MANY_VERSIONS: spec(413, 'limit', 'The secret has more versions than one response may carry'),
  DSV_QUOTA_RATE: spec(429, 'limit', 'Request rate quota exceeded', true),
  DSV_QUOTA_SECRETS: spec(429, 'limit', 'Secret count quota exceeded'),
  DSV_MEDIA_TYPE_UNSUPPORTED: spec(415, 'invalid', 'Unsupported media type'),
  DSV_HEADERS_TOO_LARGE: spec(431, 'limit', 'The request headers are too large'),
  DSV_REQUEST_TIMEOUT: spec(408, 'limit', 'The request did not arrive in time', true),
  DSV_LOG_UNAVAILABLE: spec(503, 'unavailable', 'Commit log unavailable', true),
  DSV_OUTCOME_UNKNOWN: spec(
    503,
    'unavailable',
    'The request was ordered but its outcome is not known yet; retry with the same Idempotency-Key',
    true,
  ),
  DSV_LOG_MISCONFIGURED: spec(503, 'unavailable', 'Commit log is misconfigured'),
  DSV_LOG_CORRUPT: spec(503, 'unavailable', 'Commit log storage is corrupt'),
  DSV_LOG_IDENTITY_CHANGED: spec(503, 'unavailable', 'The commit log is not the one this node follows'),
  DSV_DATA_DIR_NEWER: spec(503, 'unavailable', 'The data dir was written by a newer DSV'),
  DSV_WRITE_QUORUM_FAILED: spec(503, 'unavailable', 'Not enough nodes stored the secret', true),
  DSV_DELETE_QUORUM_FAILED: spec(503, 'unavailable', 'Not enough nodes confirmed the delete', true),
  DSV_INSUFFICIENT_SHARDS: spec(503, 'unavailable', 'Insufficient secret parts to reconstruct', true),
  DSV_INTEGRITY_FAILED: spec(
    503,
    'unavailable',
    'No combination of secret parts passed the integrity check',
    true,
  ),
  DSV_NODE_UNAVAILABLE: spec(503, 'unavailable', 'Node is not serving', true),
  DSV_PEER_REJECTED: spec(403, 'auth', 'Peer request rejected'),
  DSV_INTERNAL: spec(500, 'bug', 'Internal error'),
  DSV_SHARD_UNREADABLE: spec(503, 'unavailable', 'A stored secret part could not be opened on this node'),
  DSV_KEK_UNAVAILABLE: spec(
    503,
    'unavailable',
    "This node's key-encryption key is unavailable (sealed)",
    true,
  ),
  DSV_KEY_UNWRAP_FAILED: spec(
    503,
    'unavailable',
    'A data key could not be unwrapped by the key-encryption key',
  ),
  // Tenant-held keys (DESIGN §8, docs/design/2026_12_03_implemented_tenant-held-keys.md): the tenant's own KMS.
  DSV_TENANT_KEY_UNAVAILABLE: spec(
    503,
    'unavailable',
    "The tenant's key in its own KMS cannot be used now (unreachable, disabled or destroyed)",
    true,
  ),
  DSV_TENANT_KEY_UNKNOWN: spec(
    400,
    'invalid',
    'No node is configured to reach this tenant key (provider and ref must match a tenantKeks entry)',
  ),
  DSV_TENANT_KEY_NOT_SET: spec(404, 'missing', 'The tenant has no tenant-held key'),
  DSV_TENANT_KEY_REVOKED: spec(
    410,
    'missing',
    "The tenant's key was revoked through DSV; the data under it is gone",
  ),
  DSV_AUDIT_UNAVAILABLE: spec(503, 'unavailable', 'The audit trail could not be written', true),
  DSV_AUDIT_CORRUPT: spec(503, 'unavailable', 'The audit trail fails its integrity check'),
  DSV_DISK_FULL: spec(
    507,
    'unavailable',
    "A node's disk is nearly full: writes are refused until space is freed; reads still work",
    true,
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
