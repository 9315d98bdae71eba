// Level 2 of the authorisation model check: a real cluster driven over HTTP by random tokens, every reply
// compared with the reference model (status) and the ledger (values), every body scanned for other tenants'
// values, and every denied write followed by a read proving nothing changed.
import { AuthzModel, type ModelCapability } from './authz-model.ts';
import { send, v1As, type HttpReply } from './authz-model-http.ts';
import { SecretLedger } from './authz-model-ledger.ts';
import {
  HTTP_NAMESPACES,
  HTTP_NAMES,
  HTTP_TENANTS,
  httpTenant,
  type HttpOp,
  type HttpPlan,
} from './authz-model-plan.ts';

/** A token the run can use; `home` is the tenant its writes would land in (root and garbage: default). */
export interface PoolToken {
  readonly label: string;
  readonly secret: string | undefined;
  readonly home: string;
}

export interface HttpTotals {
  operations: number;
  allowed: number;
  denied: number;
  deniedWritesVerified: number;
  crossTenant: number;
  mismatches: string[];
  readonly byKind: Map<string, number>;
}

const ALL_SECRET_CAPABILITIES: ModelCapability[] = ['read', 'create', 'update', 'delete', 'list', 'history'];
export const DEFAULT_TENANT = 'default';

export class HttpModelCheck {
  readonly model = new AuthzModel(DEFAULT_TENANT);
  readonly ledger = new SecretLedger();
  readonly pool: PoolToken[] = [];
  readonly auditors = new Map<string, string>();
  readonly totals: HttpTotals = {
    operations: 0,
    allowed: 0,
    denied: 0,
    deniedWritesVerified: 0,
    crossTenant: 0,
    mismatches: [],
    byKind: new Map(),
  };
  readonly urls: readonly string[];
  readonly root: string;

  constructor(urls: readonly string[], root: string) {
    this.urls = urls;
    this.root = root;
  }

  /** Root administration during setup: anything but the expected status fails the run at once. */
  async admin(method: string, path: string, body: unknown, status: number): Promise<unknown> {
    const reply = await send(this.urls[0] ?? '', method, path, this.root, body);
    if (reply.status !== status) throw new Error(`setup ${method} ${path}: ${reply.status} ${reply.body}`);
    return reply.body === '' ? undefined : JSON.parse(reply.body);
  }

  async createToken(
    tenant: string,
    policies: readonly string[],
    ttlSeconds?: number,
  ): Promise<PoolToken & { accessor: string }> {
    const created = (await this.admin(
      'POST',
      '/v2/sys/tokens',
      { tenant, policies, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) },
      201,
    )) as { token: string; accessor: string; expiresAt: string | null };
    const expiresAt = created.expiresAt === null ? null : Date.parse(created.expiresAt);
    this.model.addToken({ id: created.accessor, secret: created.token, tenant, policies, expiresAt });
    return {
      label: `${tenant}:${policies.join('+') || 'none'}`,
      secret: created.token,
      home: tenant,
      accessor: created.accessor,
    };
  }

  async setup(plan: HttpPlan): Promise<void> {
    this.model.createTenant(DEFAULT_TENANT); // created by issueDevRootToken
    this.model.addToken({ id: 'root', secret: this.root, tenant: null, policies: [], expiresAt: null });
    this.pool.push({ label: 'root', secret: this.root, home: DEFAULT_TENANT });
    for (const tenant of HTTP_TENANTS.filter((t) => t !== DEFAULT_TENANT)) {
      await this.admin('POST', '/v2/sys/tenants', { name: tenant }, 201);
      this.model.createTenant(tenant);
    }
    const everything = [{ namespace: '*', name: '*', capabilities: ALL_SECRET_CAPABILITIES }];
    const adminOnly = [{ namespace: '*', name: '*', capabilities: ['admin' as const] }];
    const policies = [
      ...HTTP_TENANTS.flatMap((tenant) => [
        { tenant, policy: 'audit', rules: everything },
        { tenant, policy: 'tenant-admin', rules: adminOnly },
      ]),
      ...plan.policies.map((p) => ({ tenant: httpTenant(p.tenant), policy: p.policy, rules: p.rules })),
    ];
    for (const { tenant, policy, rules } of policies) {
      await this.admin('PUT', `/v2/sys/policies/${policy}?tenant=${tenant}`, { rules }, 200);
      this.model.putPolicy(tenant, policy, rules);
    }
    for (const tenant of HTTP_TENANTS) {
      const auditor = await this.createToken(tenant, ['audit']);
      this.auditors.set(tenant, auditor.secret ?? '');
      this.pool.push(auditor, await this.createToken(tenant, ['tenant-admin']));
    }
    let lastExpiry = 0;
    for (const planned of plan.tokens) {
      const tenant = httpTenant(planned.tenant);
      const token = await this.createToken(
        tenant,
        planned.policies,
        planned.fate === 'expired' ? 1 : undefined,
      );
      if (planned.fate === 'revoked') {
        await this.admin('DELETE', `/v2/sys/tokens/${token.accessor}`, undefined, 200);
        this.model.revoke(token.accessor);
      }
      if (planned.fate === 'expired') lastExpiry = Date.now() + 1000;
      this.pool.push({ ...token, label: `${token.label}:${planned.fate}` });
    }
    this.pool.push(
      { label: 'unknown', secret: `dsv.${'x'.repeat(43)}`, home: DEFAULT_TENANT },
      { label: 'malformed', secret: 'not-a-token', home: DEFAULT_TENANT },
      { label: 'none', secret: undefined, home: DEFAULT_TENANT },
    );
    // Expired tokens must be past their expiry before the first operation, so the model's clock agrees.
    const wait = lastExpiry + 250 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  mismatch(message: string): void {
    this.totals.mismatches.push(message);
  }

  /** Scans a body for values: none may belong to another tenant; a denied reply may carry none at all. */
  observe(reply: HttpReply, acting: string, denied: boolean, what: string): void {
    for (const { value, owner } of this.ledger.valuesIn(reply.body)) {
      if (owner !== acting) {
        this.totals.crossTenant += 1;
        this.mismatch(`CROSS-TENANT: ${what} acting in ${acting} returned a value of ${String(owner)}`);
      } else if (denied) {
        this.mismatch(`${what}: denied reply carried a value (${value.slice(0, 12)}…)`);
      }
    }
  }

  count(kind: string, allowed: boolean): void {
    this.totals.operations += 1;
    if (allowed) this.totals.allowed += 1;
    else this.totals.denied += 1;
    this.totals.byKind.set(kind, (this.totals.byKind.get(kind) ?? 0) + 1);
  }

  /** A refused request must say so with the model's status and the stable code. */
  expectDenied(reply: HttpReply, status: number, what: string): void {
    const code = status === 401 ? 'DSV_AUTH_REQUIRED' : 'DSV_AUTH_FORBIDDEN';
    if (reply.status !== status || reply.code !== code)
      this.mismatch(`${what}: model denies (${status}) but got ${reply.status} ${String(reply.code)}`);
  }

  /** The secret still reads as the ledger says (latest value or 404), asked through the tenant's auditor. */
  async verifyUnchanged(tenant: string, namespace: string, name: string, what: string): Promise<void> {
    const reply = await v1As.read(this.urls[0] ?? '', this.auditors.get(tenant), namespace, name);
    // v1 and v2 act on NFC names: the ledger is keyed by them, whichever form the read spelt.
    const versions = this.ledger.versions(tenant, namespace.normalize('NFC'), name.normalize('NFC'));
    const latest = versions.at(-1);
    const ok = latest === undefined ? reply.status === 404 : reply.status === 200 && reply.body === latest;
    if (!ok)
      this.mismatch(`${what}: ${tenant} ${JSON.stringify([namespace, name])} changed: ${reply.status}`);
    this.observe(reply, tenant, false, `verify ${what}`);
  }

  /** Every secret of every tenant reads back exactly as the ledger says: no write landed where it should not. */
  async finalSweep(): Promise<number> {
    let reads = 0;
    for (const tenant of HTTP_TENANTS) {
      for (const namespace of HTTP_NAMESPACES) {
        for (const name of HTTP_NAMES) {
          await this.verifyUnchanged(tenant, namespace, name, 'final sweep');
          reads += 1;
        }
      }
    }
    return reads;
  }

  pick(op: HttpOp): { token: PoolToken; base: string } {
    const token = this.pool[op.token % this.pool.length];
    if (!token) throw new Error('empty token pool');
    return { token, base: this.urls[op.node % this.urls.length] ?? '' };
  }
}
