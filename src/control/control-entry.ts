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
  /**
   * Accessor of the token that created this one; revoking it revokes this one. null: the operator (a root
   * token), or a tenant's bootstrap admin (I-T4: root names it once, from verifiers only, and never again).
   */
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

/**
 * What an approval or break-glass may grant (I-T4): the secret capabilities only. Never `admin`, `hold` or
 * `hold-release`: an approval lets root reach data, it never makes root a tenant's administrator.
 */
export const APPROVAL_CAPABILITIES: readonly Capability[] = [
  'read',
  'create',
  'update',
  'delete',
  'list',
  'history',
];

/** An approval's longest life (I-T4): bounded in time, counted in log time from its own record. */
export const MAX_APPROVAL_TTL_MS = 7 * 86_400_000;
/** Break-glass is short-lived (I-T4): at most an hour. */
export const MAX_BREAK_GLASS_TTL_MS = 3_600_000;

/**
 * What an approval or a break-glass grants, as asked for (a grant's API body, a break-glass's CLI options):
 * one tenant, a namespace and a name pattern (policy.ts), capabilities, a lifetime and a reason.
 */
export type ApprovalTerms = Omit<ApprovalScope, 'approvalId' | 'time'>;

/** The scope shared by an approval and a break-glass record. */
interface ApprovalScope {
  readonly approvalId: string;
  readonly tenant: string;
  /** Accessor of the root token that may act under it (the only caller it changes). */
  readonly grantee: string;
  readonly namespace: string;
  readonly name: string;
  readonly capabilities: readonly Capability[];
  /** Counted from the record's own log time (I-X4), so no coordinator clock can lengthen it. */
  readonly ttlMs: number;
  /** Why (mandatory): shown to the tenant with every use. */
  readonly reason: string;
  readonly time: number;
}

/** A tenant admin lets a root token reach part of its tenant's secrets for a while (I-T4). */
export interface ApprovalGrantEntry extends AuthorityFields, ApprovalScope {
  readonly type: 'approval-grant';
  /** Accessor of the tenant admin that granted it; endorsers check it is the caller (as token-create's creator). */
  readonly by: string;
}

/** The tenant admin ends an approval early. Break-glass is not revocable by the tenant (it is the override). */
export interface ApprovalRevokeEntry extends AuthorityFields {
  readonly type: 'approval-revoke';
  readonly approvalId: string;
  readonly tenant: string;
  readonly by: string;
  readonly time: number;
}

/** Break-glass (I-T4): an approval signed by the operator key alone, short-lived, audited by every node. */
export interface ApprovalBreakGlassEntry extends AuthorityFields, ApprovalScope {
  readonly type: 'approval-break-glass';
}

export type ApprovalEntry = ApprovalGrantEntry | ApprovalRevokeEntry | ApprovalBreakGlassEntry;

export type ControlEntry =
  | TenantCreateEntry
  | TokenCreateEntry
  | TokenRevokeEntry
  | PolicyPutEntry
  | PolicyDeleteEntry
  | ApprovalEntry;

export const CONTROL_TYPES: ReadonlySet<string> = new Set([
  'tenant-create',
  'token-create',
  'token-revoke',
  'policy-put',
  'policy-delete',
  'approval-grant',
  'approval-revoke',
  'approval-break-glass',
]);

export function isControlEntry(entry: { type: string }): entry is ControlEntry {
  return CONTROL_TYPES.has(entry.type);
}
