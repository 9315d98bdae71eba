// Control-plane records (DESIGN §3 control, §5): tenants, tokens and policies, ordered on the control
// partition that every node consumes. Tokens appear only as SHA-256 hashes (never the token itself).
export type Capability = 'read' | 'create' | 'update' | 'delete' | 'list' | 'history' | 'admin';

export const CAPABILITIES: readonly Capability[] = [
  'read',
  'create',
  'update',
  'delete',
  'list',
  'history',
  'admin',
];

/** One rule: namespace and name patterns (exact, or a prefix ending in `*`) and what they allow. */
export interface PolicyRule {
  readonly namespace: string;
  readonly name: string;
  readonly capabilities: readonly Capability[];
}

export interface TenantCreateEntry {
  readonly type: 'tenant-create';
  readonly tenant: string;
  readonly time: number;
}

export interface TokenCreateEntry {
  readonly type: 'token-create';
  readonly accessor: string;
  /** Hex SHA-256 of the token. */
  readonly tokenHash: string;
  /** null for a root token: every tenant, every capability. */
  readonly tenant: string | null;
  readonly policies: readonly string[];
  readonly displayName: string;
  /** Wall-clock expiry (ms); null = no expiry. Checked at use, against the checking node's clock. */
  readonly expiresAt: number | null;
  readonly time: number;
}

export interface TokenRevokeEntry {
  readonly type: 'token-revoke';
  readonly accessor: string;
  readonly time: number;
}

export interface PolicyPutEntry {
  readonly type: 'policy-put';
  readonly tenant: string;
  readonly name: string;
  readonly rules: readonly PolicyRule[];
  readonly time: number;
}

export interface PolicyDeleteEntry {
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
