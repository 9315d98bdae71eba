// Control-plane records (DESIGN §3 control, §5): tenants, tokens and policies, ordered on the control
// partition that every node consumes. Tokens appear only as SHA-256 hashes (never the token itself).
// `hold` places a retention hold and `hold-release` releases one (I-C2b): separate from `admin` and from each
// other, so who may freeze data and who may unfreeze it are different grants. Root holds every capability.
export type Capability =
  'read' | 'create' | 'update' | 'delete' | 'list' | 'history' | 'admin' | 'hold' | 'hold-release';

export const CAPABILITIES: readonly Capability[] = [
  'read',
  'create',
  'update',
  'delete',
  'list',
  'history',
  'admin',
  'hold',
  'hold-release',
];

/** One rule: namespace and name patterns (exact, or a prefix ending in `*`) and what they allow. */
export interface PolicyRule {
  readonly namespace: string;
  readonly name: string;
  readonly capabilities: readonly Capability[];
}

/** A member's signature over the record body without this list (trust-boundaries design §4, I-T3). */
export interface Endorsement {
  readonly node: string;
  readonly sig: string;
}

/**
 * What every authority record carries: a unique id (a copied record applies once) and the endorsements of
 * nodes that each verified the caller themselves. The operator's own records need none.
 */
export interface AuthorityFields {
  readonly rid: string;
  readonly endorsements: readonly Endorsement[];
}

export interface TenantCreateEntry extends AuthorityFields {
  readonly type: 'tenant-create';
  readonly tenant: string;
  readonly time: number;
}

export interface TokenCreateEntry extends AuthorityFields {
  readonly type: 'token-create';
  readonly accessor: string;
  /** Node id → hex SHA-256 of that node's credential derived from the token (I-G3); never the token. */
  readonly verifiers: Readonly<Record<string, string>>;
  /** Accessor of the token that created this one (null: the operator); revoking it revokes this one. */
  readonly creator: string | null;
  /** null for a root token: every tenant, every capability. */
  readonly tenant: string | null;
  readonly policies: readonly string[];
  readonly displayName: string;
  /** Wall-clock expiry (ms); null = no expiry. Checked at use, against the checking node's clock. */
  readonly expiresAt: number | null;
  readonly time: number;
}

export interface TokenRevokeEntry extends AuthorityFields {
  readonly type: 'token-revoke';
  readonly accessor: string;
  readonly time: number;
}

export interface PolicyPutEntry extends AuthorityFields {
  readonly type: 'policy-put';
  readonly tenant: string;
  readonly name: string;
  readonly rules: readonly PolicyRule[];
  readonly time: number;
}

export interface PolicyDeleteEntry extends AuthorityFields {
  readonly type: 'policy-delete';
  readonly tenant: string;
  readonly name: string;
  readonly time: number;
}

export type ControlEntry =
  TenantCreateEntry | TokenCreateEntry | TokenRevokeEntry | PolicyPutEntry | PolicyDeleteEntry;

export const CONTROL_TYPES: ReadonlySet<string> = new Set([
  'tenant-create',
  'token-create',
  'token-revoke',
  'policy-put',
  'policy-delete',
]);

export function isControlEntry(entry: { type: string }): entry is ControlEntry {
  return CONTROL_TYPES.has(entry.type);
}
