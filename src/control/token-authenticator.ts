// Authenticates `Authorization: Bearer <token>` against the control view and authorises by policy
// (I-G1 before any shard is touched, I-T1 tenant from the token only, I-T2 default deny).
import { DsvError } from '../errors/index.ts';
import { CAPABILITIES, type Capability, type PolicyRule } from './control-entry.ts';
import type { ControlStore, TokenRecord } from './control-store.ts';
import { allows } from './policy.ts';
import { looksLikeToken, sameHash } from './tokens.ts';
import { credentialVerifier, nodeCredential, type ForwardedCredential } from '../trust/index.ts';

/** Who is calling and what they may do; every gateway route asks `can` before touching a secret. */
export interface Caller {
  readonly tenant: string;
  readonly accessor: string;
  readonly root: boolean;
  /**
   * I-T4: root reaches a tenant's secrets only under an approval (or break-glass) in force for it; `can`
   * answers true for root only then, and notes the approval's id here for the request's audit record.
   */
  can(capability: Capability, namespace: string, name: string): boolean;
  /** The approvals (or break-glass records) a root caller's `can` relied on so far (I-T4c: every use audited). */
  readonly approvalsUsed?: ReadonlySet<string>;
  /**
   * The dev cluster's standing approval (I-T4, dev path only): this root caller is every tenant's admin and
   * holds every capability, as before admin separation. Never set on `dsv server`.
   */
  readonly standing?: boolean;
  /**
   * What this node forwards to node `nodeId` on the caller's behalf (I-G3): a credential only that node
   * accepts. Undefined for a caller that was itself forwarded (it cannot be forwarded again).
   */
  readonly credentialFor?: (nodeId: string) => ForwardedCredential;
}

/** The cluster and node a token's per-node credential is derived for. */
export interface CredentialScope {
  readonly clusterId: string;
  readonly nodeId: string;
}

export interface TokenAuthenticatorOptions {
  readonly store: ControlStore;
  /** Applies the control partition up to its end when the last catch-up is older than `maxStalenessMs`. */
  readonly catchUp: () => Promise<void>;
  readonly maxStalenessMs: number;
  /** The tenant a root token acts on when the API carries none (v1: the default tenant). */
  readonly defaultTenant: string;
  /** Dev mode: a v1 request without a token acts anonymously on the default tenant with every capability. */
  readonly allowAnonymous: boolean;
  readonly scope: CredentialScope;
  /**
   * I-T4 dev path: a standing approval for every root token. Only the in-process dev cluster (`dsv dev`,
   * test/testing/dev-cluster.ts) passes it; `dsv server` has no way to set it (it is no config field).
   */
  readonly devStandingApproval?: boolean;
  /** A crypto-shredded tenant's tokens authenticate nothing (I-T1 after shred). */
  readonly isShredded?: (tenant: string) => boolean;
  readonly now?: () => number;
}

export class TokenAuthenticator {
  private readonly options: TokenAuthenticatorOptions;
  private lastCatchUp = 0;

  constructor(options: TokenAuthenticatorOptions) {
    this.options = options;
  }

  /**
   * The caller a request's bearer token names (the gateway parses the header: this context knows no HTTP).
   * No token: anonymous only on a dev node and only where the gateway judged the request local and on the
   * v1 secret API (`anonymousAllowed`); otherwise 401.
   */
  async authenticateToken(
    token: string | undefined,
    request: { readonly tenant?: string; readonly anonymousAllowed: boolean },
  ): Promise<Caller> {
    const tenantOverride = request.tenant;
    if (token === undefined) {
      if (this.options.allowAnonymous && request.anonymousAllowed)
        return anonymous(this.options.defaultTenant);
      throw new DsvError('DSV_AUTH_REQUIRED', 'Authentication required: send Authorization: Bearer <token>');
    }
    if (!looksLikeToken(token)) throw invalidToken();
    const { clusterId, nodeId } = this.options.scope;
    const record = await this.tokenRecord(credentialVerifier(nodeCredential(token, clusterId, nodeId)));
    const credentialFor = (peer: string): ForwardedCredential => ({
      kind: 'token',
      credential: nodeCredential(token, clusterId, peer),
    });
    return { ...this.caller(record, tenantOverride), credentialFor };
  }

  /**
   * A caller forwarded by a peer (an endorsement or a shard release): the credential was derived for this
   * node, so it proves the client asked, and cannot be replayed at any other node (I-G3).
   */
  async authenticateForwarded(forwarded: ForwardedCredential, tenantOverride?: string): Promise<Caller> {
    if (forwarded.kind === 'anonymous') {
      if (!this.options.allowAnonymous) throw invalidToken();
      return anonymous(tenantOverride ?? this.options.defaultTenant);
    }
    if (typeof forwarded.credential !== 'string' || forwarded.credential.length !== 43) throw invalidToken();
    return this.caller(await this.tokenRecord(credentialVerifier(forwarded.credential)), tenantOverride);
  }

  private async tokenRecord(verifier: string): Promise<TokenRecord> {
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastCatchUp > this.options.maxStalenessMs) {
      await this.options.catchUp();
      this.lastCatchUp = now;
    }
    const record = this.options.store.tokenByHash(verifier);
    // One message for unknown, expired, revoked and shredded: a caller learns nothing about which it was.
    if (
      !record ||
      !sameHash(record.tokenHash, verifier) ||
      record.revokedAt !== null ||
      expired(record, now) ||
      (record.tenant !== null && this.options.isShredded?.(record.tenant) === true)
    ) {
      throw invalidToken();
    }
    return record;
  }

  private caller(record: TokenRecord, tenantOverride: string | undefined): Caller {
    if (record.tenant === null) return this.rootCaller(record, tenantOverride ?? this.options.defaultTenant);
    if (tenantOverride !== undefined && tenantOverride !== record.tenant) {
      throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied'); // I-T1: never another tenant
    }
    const rules: PolicyRule[] = record.policies.flatMap(
      (name) => this.options.store.policy(record.tenant ?? '', name) ?? [],
    );
    // I-T4: the tenant's bootstrap admin (named once by root, from verifiers only) holds every capability
    // in its tenant, so it can write the tenant's policies and tokens without root's help.
    if (record.bootstrap) rules.push({ namespace: '*', name: '*', capabilities: CAPABILITIES });
    return {
      tenant: record.tenant,
      accessor: record.accessor,
      root: false,
      can: (capability, namespace, name) => allows(rules, namespace, name, capability),
    };
  }

  /**
   * Root (I-T4): manages tenants, quotas and nodes, and reaches a tenant's secrets only under an approval
   * in force for this caller, this tenant, this capability and this path, checked at every use against
   * this node's clock (every holder re-authenticates the forwarded credential through here: I-S5, I-G3).
   */
  private rootCaller(record: TokenRecord, tenant: string): Caller {
    if (this.options.devStandingApproval === true) {
      return { tenant, accessor: record.accessor, root: true, standing: true, can: () => true };
    }
    const used = new Set<string>();
    const store = this.options.store;
    const now = this.options.now ?? Date.now;
    return {
      tenant,
      accessor: record.accessor,
      root: true,
      approvalsUsed: used,
      can: (capability, namespace, name) => {
        const approval = store.approvalFor(record.accessor, tenant, capability, namespace, name, now());
        if (approval === undefined) return false;
        used.add(approval.approvalId);
        return true;
      },
    };
  }
}

const invalidToken = (): DsvError => new DsvError('DSV_AUTH_REQUIRED', 'Invalid, expired or revoked token');

const expired = (record: TokenRecord, now: number): boolean =>
  record.expiresAt !== null && now >= record.expiresAt;

function anonymous(tenant: string): Caller {
  return {
    tenant,
    accessor: 'anonymous-dev',
    root: false,
    can: () => true,
    credentialFor: () => ({ kind: 'anonymous' }),
  };
}

/** I-T4c: the audit target naming the approvals a caller relied on (`approval:<id>[/<id>…]`), if any. */
export function approvalAuditTarget(approvals: ReadonlySet<string> | undefined): string | undefined {
  if (approvals === undefined || approvals.size === 0) return undefined;
  return `approval:${[...approvals].sort().join('/')}`;
}

export function requireCapability(
  caller: Caller,
  capability: Capability,
  namespace: string,
  name: string,
): void {
  if (caller.can(capability, namespace, name)) return;
  // I-T4: root is refused with its own stable code, so an operator knows an approval is what is missing.
  if (caller.root) throw new DsvError('DSV_APPROVAL_REQUIRED');
  throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
}
