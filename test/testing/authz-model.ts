// A small reference model of DSV authorisation (DESIGN §3 control, I-T1, I-T2), written apart from
// src/control/policy.ts on purpose: the property tests compare the real control plane against it.
//
// The model's rules, stated once:
// - Default deny (I-T2): an operation is allowed only if a rule of one of the token's policies grants the
//   capability and its namespace and name patterns both cover the request.
// - A pattern is exact, or a prefix when it ends in `*`. Patterns and requests are compared as sequences of
//   Unicode code points after NFC: a decision is a function of (tenant, NFC(namespace), NFC(name),
//   capability). Nothing else is canonicalised: `..`, `//`, `%2F`, a trailing `/` and case are literal
//   characters of a name, so a "path trick" names a different secret, never a wider one.
// - A tenant token acts only in its own tenant (I-T1); a request naming another tenant is forbidden. A root
//   token (tenant null) acts in the tenant the request names, else the default tenant. With the dev
//   cluster's standing approval (`rootStanding`) it holds every capability; without it (I-T4) it holds a
//   secret capability on (namespace, name) only while an approval or break-glass of that tenant names it as
//   grantee, covers both patterns and the capability, is not revoked and now < grantedAt + ttl. Approvals
//   never grant `admin`. A grant is revocable; break-glass is not. The first approval with an id wins.
// - A tenant's bootstrap admin (no creator) holds every capability in its tenant; only the first bootstrap
//   token of a tenant counts, a later one is dropped (I-T4).
// - Unknown, revoked and expired (now ≥ expiresAt) tokens are unauthenticated (401); so is no token.
// - Policies belong to a tenant and are looked up by name at use time: a token of tenant A naming policy `p`
//   gets A's `p`, never B's; a deleted policy grants nothing; a re-created one grants again.
// - Control records for a tenant that does not exist (policies, tokens) are dropped.
export type ModelCapability = 'read' | 'create' | 'update' | 'delete' | 'list' | 'history' | 'admin';

export const MODEL_CAPABILITIES: readonly ModelCapability[] = [
  'read',
  'create',
  'update',
  'delete',
  'list',
  'history',
  'admin',
];

export interface ModelRule {
  readonly namespace: string;
  readonly name: string;
  readonly capabilities: readonly ModelCapability[];
}

export interface ModelToken {
  readonly id: string;
  readonly secret: string;
  readonly tenant: string | null;
  readonly policies: readonly string[];
  readonly expiresAt: number | null;
  /** I-T4: the tenant's bootstrap admin (every capability in its tenant). */
  readonly bootstrap?: boolean;
  revoked: boolean;
}

export interface ModelApproval {
  readonly id: string;
  readonly kind: 'grant' | 'break-glass';
  readonly tenant: string;
  readonly grantee: string;
  readonly namespace: string;
  readonly name: string;
  readonly capabilities: readonly ModelCapability[];
  readonly expiresAt: number;
  revoked: boolean;
}

/** Why a request was refused, or for whom it acts. */
export type ModelResolution =
  | { readonly kind: 'unauthenticated' }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'caller'; readonly tenant: string; readonly token: ModelToken };

export interface ModelDecision {
  readonly allow: boolean;
  /** 401 unauthenticated, 403 forbidden, 200 allowed. */
  readonly status: 200 | 401 | 403;
  /** The tenant the request acts on; null when refused before a tenant was resolved. */
  readonly tenant: string | null;
}

/** The canonical form of a namespace, name or pattern body: NFC code points, nothing else touched. */
export function canonicalCodePoints(value: string): number[] {
  return Array.from(value.normalize('NFC'), (char) => char.codePointAt(0) ?? 0);
}

/** Whether `pattern` covers `value`: exact on canonical forms, or a canonical prefix when it ends in `*`. */
export function patternCovers(pattern: string, value: string): boolean {
  const isPrefix = pattern.endsWith('*');
  const body = canonicalCodePoints(isPrefix ? pattern.slice(0, -1) : pattern);
  const target = canonicalCodePoints(value);
  if (isPrefix ? body.length > target.length : body.length !== target.length) return false;
  for (let i = 0; i < body.length; i += 1) if (body[i] !== target[i]) return false;
  return true;
}

export class AuthzModel {
  readonly defaultTenant: string;
  private readonly tenantSet = new Set<string>();
  private readonly policyMap = new Map<string, Map<string, readonly ModelRule[]>>();
  private readonly bySecret = new Map<string, ModelToken>();
  private readonly byId = new Map<string, ModelToken>();
  private readonly approvals = new Map<string, ModelApproval>();
  /** The dev cluster's standing approval: root holds every capability (level 2 runs on a dev cluster). */
  readonly rootStanding: boolean;

  constructor(defaultTenant: string, options: { rootStanding?: boolean } = {}) {
    this.defaultTenant = defaultTenant;
    this.rootStanding = options.rootStanding ?? true;
  }

  /** false when the tenant does not exist or the id is taken (the record is dropped). */
  addApproval(approval: Omit<ModelApproval, 'revoked'>): boolean {
    if (!this.tenantSet.has(approval.tenant) || this.approvals.has(approval.id)) return false;
    this.approvals.set(approval.id, { ...approval, revoked: false });
    return true;
  }

  /** Only a grant of that tenant; break-glass runs out by itself. */
  revokeApproval(id: string, tenant: string): void {
    const approval = this.approvals.get(id);
    if (approval?.tenant === tenant && approval.kind === 'grant') approval.revoked = true;
  }

  /** The approvals naming `grantee` in `tenant` (in force or not), for requests near their patterns. */
  approvalsOf(grantee: string): ModelApproval[] {
    return [...this.approvals.values()].filter((approval) => approval.grantee === grantee);
  }

  createTenant(tenant: string): void {
    this.tenantSet.add(tenant);
    if (!this.policyMap.has(tenant)) this.policyMap.set(tenant, new Map());
  }

  hasTenant(tenant: string): boolean {
    return this.tenantSet.has(tenant);
  }

  /** false when the tenant does not exist (the record is dropped). */
  putPolicy(tenant: string, name: string, rules: readonly ModelRule[]): boolean {
    const policies = this.policyMap.get(tenant);
    if (!policies) return false;
    policies.set(name, rules);
    return true;
  }

  deletePolicy(tenant: string, name: string): void {
    this.policyMap.get(tenant)?.delete(name);
  }

  policy(tenant: string, name: string): readonly ModelRule[] | undefined {
    return this.policyMap.get(tenant)?.get(name);
  }

  /** A tenant's policies, by name. */
  policies(tenant: string): Array<{ name: string; rules: readonly ModelRule[] }> {
    return [...(this.policyMap.get(tenant) ?? new Map<string, readonly ModelRule[]>())]
      .map(([name, rules]) => ({ name, rules }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** false when a tenant token names a tenant that does not exist (the record is dropped). */
  addToken(token: Omit<ModelToken, 'revoked'>): boolean {
    if (token.tenant !== null && !this.tenantSet.has(token.tenant)) return false;
    if (this.byId.has(token.id) || this.bySecret.has(token.secret)) return false;
    const tenant = token.tenant;
    if (token.bootstrap === true && [...this.byId.values()].some((t) => t.bootstrap && t.tenant === tenant))
      return false;
    const stored: ModelToken = { ...token, revoked: false };
    this.bySecret.set(token.secret, stored);
    this.byId.set(token.id, stored);
    return true;
  }

  revoke(id: string): void {
    const token = this.byId.get(id);
    if (token) token.revoked = true;
  }

  tokenById(id: string): ModelToken | undefined {
    return this.byId.get(id);
  }

  /** `credential` is the bearer token as sent (undefined: none); `requestedTenant` a tenant the API names. */
  resolve(credential: string | undefined, requestedTenant: string | undefined, now: number): ModelResolution {
    const token = credential === undefined ? undefined : this.bySecret.get(credential);
    if (!token || token.revoked || (token.expiresAt !== null && now >= token.expiresAt)) {
      return { kind: 'unauthenticated' };
    }
    if (token.tenant === null)
      return { kind: 'caller', tenant: requestedTenant ?? this.defaultTenant, token };
    if (requestedTenant !== undefined && requestedTenant !== token.tenant) return { kind: 'forbidden' };
    return { kind: 'caller', tenant: token.tenant, token };
  }

  /**
   * Whether a resolved token may do `capability` on (namespace, name) in its tenant; for root, in `at.tenant`
   * at `at.now` (without `at`, root without the standing approval is granted nothing).
   */
  grants(
    token: ModelToken,
    capability: ModelCapability,
    namespace: string,
    name: string,
    at?: { readonly tenant: string; readonly now: number },
  ): boolean {
    if (token.tenant === null) {
      if (this.rootStanding) return true;
      if (at === undefined || capability === 'admin') return false;
      return this.approvalsOf(token.id).some(
        (approval) =>
          approval.tenant === at.tenant &&
          !approval.revoked &&
          at.now < approval.expiresAt &&
          approval.capabilities.includes(capability) &&
          patternCovers(approval.namespace, namespace) &&
          patternCovers(approval.name, name),
      );
    }
    if (token.bootstrap === true) return true;
    for (const policyName of token.policies) {
      for (const rule of this.policy(token.tenant, policyName) ?? []) {
        if (
          rule.capabilities.includes(capability) &&
          patternCovers(rule.namespace, namespace) &&
          patternCovers(rule.name, name)
        ) {
          return true;
        }
      }
    }
    return false;
  }

  decide(
    credential: string | undefined,
    requestedTenant: string | undefined,
    capability: ModelCapability,
    namespace: string,
    name: string,
    now: number,
  ): ModelDecision {
    return this.decideAll(credential, requestedTenant, [[capability, namespace, name]], now);
  }

  /** One request that needs every listed permission (an .env file, a read of all versions). */
  decideAll(
    credential: string | undefined,
    requestedTenant: string | undefined,
    needs: ReadonlyArray<readonly [ModelCapability, string, string]>,
    now: number,
  ): ModelDecision {
    const resolution = this.resolve(credential, requestedTenant, now);
    if (resolution.kind === 'unauthenticated') return { allow: false, status: 401, tenant: null };
    if (resolution.kind === 'forbidden') return { allow: false, status: 403, tenant: null };
    const at = { tenant: resolution.tenant, now };
    const allow = needs.every(([capability, namespace, name]) =>
      this.grants(resolution.token, capability, namespace, name, at),
    );
    return { allow, status: allow ? 200 : 403, tenant: resolution.tenant };
  }

  /**
   * Administration of a tenant (/v2/sys): root anywhere; a tenant token only in its own tenant and only
   * with `admin` granted over every namespace and name (patterns that cover everything: `*`).
   */
  decideAdmin(
    credential: string | undefined,
    requestedTenant: string | undefined,
    now: number,
  ): ModelDecision {
    const resolution = this.resolve(credential, undefined, now);
    if (resolution.kind !== 'caller') return { allow: false, status: 401, tenant: null };
    const token = resolution.token;
    if (token.tenant === null) {
      return { allow: true, status: 200, tenant: requestedTenant ?? this.defaultTenant };
    }
    if (requestedTenant !== undefined && requestedTenant !== token.tenant) {
      return { allow: false, status: 403, tenant: null };
    }
    const everything = token.policies.some((policyName) =>
      (this.policy(token.tenant ?? '', policyName) ?? []).some(
        (rule) => rule.capabilities.includes('admin') && rule.namespace === '*' && rule.name === '*',
      ),
    );
    return everything
      ? { allow: true, status: 200, tenant: token.tenant }
      : { allow: false, status: 403, tenant: null };
  }
}
