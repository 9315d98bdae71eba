// Runs one level-1 scenario against the real control plane (ControlStore applied record by record, as the
// log would, and TokenAuthenticator) and against the reference model, and reports every disagreement.
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import type { FastifyRequest } from 'fastify';
import type { ControlEntry } from '../../src/control/control-entry.ts';
import { ControlStore } from '../../src/control/control-store.ts';
import { TokenAuthenticator, type Caller } from '../../src/control/token-authenticator.ts';
import { BearerAuthenticator } from '../../src/gateway/bearer-authenticator.ts';
import { tokenVerifiers } from '../../src/trust/index.ts';
import { DsvError } from '../../src/errors/index.ts';
import { AuthzModel, type ModelCapability, type ModelToken } from './authz-model.ts';
import { equivalentForms, nearPattern, trickVariants } from './authz-model-names.ts';
import {
  tenantName,
  type CheckSpec,
  type HeaderForm,
  type Scenario,
  type Step,
} from './authz-model-scenario.ts';

export interface RunTotals {
  operations: number;
  allowed: number;
  equivalenceChecks: number;
  trickChecks: number;
  crossTenantAllows: number;
  /** Allows of root callers, each under an approval or break-glass (I-T4). */
  approvedAllows: number;
  mismatches: string[];
}

export const emptyTotals = (): RunTotals => ({
  operations: 0,
  allowed: 0,
  equivalenceChecks: 0,
  trickChecks: 0,
  crossTenantAllows: 0,
  approvedAllows: 0,
  mismatches: [],
});

const DEFAULT_TENANT = 'default';
/** The root token that creates the scenario's ordinary tenant tokens (they are its children, as by root). */
const CREATOR = 'accessor-creator';

/** Deterministic token-shaped secrets (`dsv.` + 43 base64url characters), so a failing case replays. */
const tokenSecret = (index: number): string =>
  `dsv.${createHash('sha256').update(`authz-model-${index}`).digest('base64url')}`;

/** The header as sent, and the credential the model sees in it (RFC 6750: scheme is case-insensitive). */
function header(
  form: HeaderForm,
  secret: string,
): { value: string | undefined; credential: string | undefined } {
  switch (form) {
    case 'bearer':
      return { value: `Bearer ${secret}`, credential: secret };
    case 'bearer-lower':
      return { value: `bearer ${secret}`, credential: secret };
    case 'bearer-upper':
      return { value: `BEARER ${secret}`, credential: secret };
    case 'bearer-tab':
      return { value: `Bearer\t ${secret}`, credential: secret };
    case 'bearer-trailing':
      return { value: `Bearer ${secret}  `, credential: secret };
    case 'none':
      return { value: undefined, credential: undefined };
    case 'basic':
      return { value: `Basic ${secret}`, credential: undefined };
    case 'mangled': {
      const last = secret.at(-1) === 'A' ? 'B' : 'A';
      const mangled = secret.slice(0, -1) + last;
      return { value: `Bearer ${mangled}`, credential: mangled };
    }
    case 'truncated':
      return { value: `Bearer ${secret.slice(0, -1)}`, credential: secret.slice(0, -1) };
  }
}

async function authenticate(
  authenticator: TokenAuthenticator,
  headerValue: string | undefined,
  override: string | undefined,
): Promise<Caller | 401 | 403> {
  // A request is data here: the authenticator reads only its headers.
  const request = { headers: headerValue === undefined ? {} : { authorization: headerValue } };
  try {
    return await new BearerAuthenticator(authenticator).authenticate(
      request as unknown as FastifyRequest,
      override,
    );
  } catch (error) {
    if (error instanceof DsvError && error.code === 'DSV_AUTH_REQUIRED') return 401;
    if (error instanceof DsvError && error.code === 'DSV_AUTH_FORBIDDEN') return 403;
    throw error;
  }
}

export async function runScenario(scenario: Scenario, totals: RunTotals): Promise<void> {
  const store = new ControlStore(new DatabaseSync(':memory:'), 'node-0');
  let clock = 1_000_000;
  const authenticator = new TokenAuthenticator({
    store,
    catchUp: async () => {},
    maxStalenessMs: 1000,
    defaultTenant: DEFAULT_TENANT,
    allowAnonymous: false,
    scope: { clusterId: 'model', nodeId: 'node-0' },
    now: () => clock,
  });
  // Level 1 is `dsv server`'s root: separated from tenant data, reaching it only under approvals (I-T4).
  const model = new AuthzModel(DEFAULT_TENANT, { rootStanding: false });
  const secrets: string[] = [];
  const approvalIds: string[] = [];
  // Each record with the log time it was applied at (approvals count their expiry from it: I-X4).
  const log: Array<[ControlEntry, number]> = [];
  const apply = (entry: ControlEntry): void => {
    store.apply(entry, clock);
    log.push([entry, clock]);
  };
  apply({
    type: 'token-create',
    accessor: CREATOR,
    verifiers: tokenVerifiers(tokenSecret(-1), 'model', ['node-0']),
    creator: null,
    tenant: null,
    policies: [],
    displayName: '',
    expiresAt: null,
    time: clock,
    rid: '',
    endorsements: [],
  });
  const tenantOf = (ref: number): string => tenantName(scenario.tenants, ref);

  for (const tenant of scenario.tenants) {
    apply({ type: 'tenant-create', tenant, time: clock, rid: '', endorsements: [] });
    model.createTenant(tenant);
  }
  for (const step of scenario.steps) {
    if (step.kind === 'query') {
      await query(step, secrets[step.token % Math.max(1, secrets.length)]);
      continue;
    }
    control(step);
  }
  // I-V1: a node that replays the same log from scratch holds the same control view.
  const replayed = new ControlStore(new DatabaseSync(':memory:'), 'node-0');
  for (const [entry, at] of log) replayed.apply(entry, at);
  for (const tenant of [
    ...scenario.tenants,
    tenantOf(scenario.tenants.length),
    tenantOf(scenario.tenants.length + 1),
  ]) {
    if (JSON.stringify(replayed.policies(tenant)) !== JSON.stringify(store.policies(tenant)))
      totals.mismatches.push(`replayed control view differs for tenant ${tenant}`);
  }
  if (JSON.stringify(replayed.tokens(null)) !== JSON.stringify(store.tokens(null)))
    totals.mismatches.push('replayed control view differs in tokens');
  for (const tenant of scenario.tenants) {
    if (JSON.stringify(replayed.approvals(tenant)) !== JSON.stringify(store.approvals(tenant)))
      totals.mismatches.push(`replayed control view differs in approvals of ${tenant}`);
  }

  function control(step: Exclude<Step, { kind: 'query' }>): void {
    switch (step.kind) {
      case 'tenant-create':
        apply({
          type: 'tenant-create',
          tenant: tenantOf(step.tenant),
          time: clock,
          rid: '',
          endorsements: [],
        });
        model.createTenant(tenantOf(step.tenant));
        return;
      case 'policy-put':
        apply({
          type: 'policy-put',
          tenant: tenantOf(step.tenant),
          name: step.policy,
          rules: step.rules,
          time: clock,
          rid: '',
          endorsements: [],
        });
        model.putPolicy(tenantOf(step.tenant), step.policy, step.rules);
        return;
      case 'policy-delete':
        apply({
          type: 'policy-delete',
          tenant: tenantOf(step.tenant),
          name: step.policy,
          time: clock,
          rid: '',
          endorsements: [],
        });
        model.deletePolicy(tenantOf(step.tenant), step.policy);
        return;
      case 'token-create': {
        const secret = tokenSecret(secrets.length);
        const accessor = `accessor-${secrets.length}`;
        const tenant = step.root ? null : tenantOf(step.tenant);
        const expiresAt = step.ttlMs === null ? null : clock + step.ttlMs;
        secrets.push(secret);
        // Root tokens come from the operator (no creator); tenant tokens from CREATOR, or are bootstraps.
        const bootstrap = tenant !== null && step.bootstrap;
        apply({
          type: 'token-create',
          accessor,
          verifiers: tokenVerifiers(secret, 'model', ['node-0']),
          creator: tenant === null || bootstrap ? null : CREATOR,
          tenant,
          policies: step.policies,
          displayName: '',
          expiresAt,
          time: clock,
          rid: '',
          endorsements: [],
        });
        model.addToken({ id: accessor, secret, tenant, policies: step.policies, expiresAt, bootstrap });
        return;
      }
      case 'approval': {
        const approvalId = `approval-${approvalIds.length}`;
        approvalIds.push(approvalId);
        // Mostly a root token (approvals change only root), sometimes any token (where they change nothing).
        const roots = secrets.flatMap((_, i) =>
          model.tokenById(`accessor-${i}`)?.tenant === null ? [i] : [],
        );
        const index =
          roots.length > 0 && step.grantee % 4 !== 0
            ? (roots[step.grantee % roots.length] ?? 0)
            : step.grantee;
        const grantee = `accessor-${index % Math.max(1, secrets.length)}`;
        const scope = {
          approvalId,
          // Half of them in the tenant a root token acts on without an override (if the scenario has it).
          tenant:
            step.tenant % 2 === 0 && model.hasTenant(DEFAULT_TENANT) ? DEFAULT_TENANT : tenantOf(step.tenant),
          grantee,
          namespace: step.namespace,
          name: step.name,
          capabilities: step.capabilities,
          ttlMs: step.ttlMs,
          reason: 'model',
          time: clock,
          rid: '',
          endorsements: [],
        };
        apply(
          step.breakGlass
            ? { type: 'approval-break-glass', ...scope }
            : { type: 'approval-grant', ...scope, by: 'accessor-admin' },
        );
        model.addApproval({
          id: approvalId,
          kind: step.breakGlass ? 'break-glass' : 'grant',
          tenant: scope.tenant,
          grantee,
          namespace: step.namespace,
          name: step.name,
          capabilities: step.capabilities,
          expiresAt: clock + step.ttlMs,
        });
        return;
      }
      case 'approval-revoke': {
        const approvalId = approvalIds[step.approval % Math.max(1, approvalIds.length)] ?? 'none';
        const tenant = tenantOf(step.tenant);
        apply({
          type: 'approval-revoke',
          approvalId,
          tenant,
          by: 'accessor-admin',
          time: clock,
          rid: '',
          endorsements: [],
        });
        model.revokeApproval(approvalId, tenant);
        return;
      }
      case 'token-revoke': {
        const accessor = `accessor-${step.token % Math.max(1, secrets.length)}`;
        apply({ type: 'token-revoke', accessor, time: clock, rid: '', endorsements: [] });
        model.revoke(accessor);
        return;
      }
      case 'tick':
        clock += step.ms;
        return;
    }
  }

  async function query(step: Extract<Step, { kind: 'query' }>, secret: string | undefined): Promise<void> {
    const sent = header(secret === undefined ? 'none' : step.header, secret ?? '');
    const override = step.override === null ? undefined : tenantOf(step.override);
    const actual = await authenticate(authenticator, sent.value, override);
    const resolution = model.resolve(sent.credential, override, clock);
    const where = `[tenants ${JSON.stringify(scenario.tenants)}, clock ${clock}, header ${step.header}, override ${String(override)}]`;
    const expectedStatus =
      resolution.kind === 'unauthenticated' ? 401 : resolution.kind === 'forbidden' ? 403 : 200;
    const actualStatus = typeof actual === 'number' ? actual : 200;
    if (actualStatus !== expectedStatus)
      totals.mismatches.push(`authenticate: ${actualStatus} vs model ${expectedStatus} ${where}`);
    if (typeof actual !== 'number' && resolution.kind === 'caller') {
      if (actual.tenant !== resolution.tenant || actual.root !== (resolution.token.tenant === null))
        totals.mismatches.push(
          `tenant: ${actual.tenant}/${actual.root} vs model ${resolution.tenant} ${where}`,
        );
    }
    const token = resolution.kind === 'caller' ? resolution.token : undefined;
    const at = { tenant: resolution.kind === 'caller' ? resolution.tenant : '', now: clock };
    for (const check of step.checks) checkOne(check, actual, token, override, where, at);
  }

  function checkOne(
    check: CheckSpec,
    actual: Caller | 401 | 403,
    token: ModelToken | undefined,
    override: string | undefined,
    where: string,
    at: { readonly tenant: string; readonly now: number },
  ): void {
    const [namespace, name] = requestOf(check, token);
    const can = (capability: ModelCapability, ns: string, n: string): boolean =>
      typeof actual !== 'number' && actual.can(capability, ns, n);
    const expected = (ns: string, n: string): boolean =>
      token !== undefined && model.grants(token, check.capability, ns, n, at);
    const got = can(check.capability, namespace, name);
    totals.operations += 1;
    if (got) totals.allowed += 1;
    const what = `${check.capability} ${JSON.stringify(namespace)} ${JSON.stringify(name)} ${where}`;
    if (got !== expected(namespace, name)) totals.mismatches.push(`can ${what}: ${got} vs model ${!got}`);
    // I-T4, checked without the model: root allowed anything only under an approval of that tenant.
    if (got && typeof actual !== 'number' && actual.root) totals.approvedAllows += 1;
    if (
      got &&
      typeof actual !== 'number' &&
      actual.root &&
      !store.approvalFor(actual.accessor, actual.tenant, check.capability, namespace, name, clock)
    )
      totals.crossTenantAllows += 1;
    // I-T1, checked without the model: an allowed caller acts in its token's tenant and the one it named.
    if (got && typeof actual !== 'number' && !actual.root) {
      if (actual.tenant !== token?.tenant || (override !== undefined && override !== actual.tenant))
        totals.crossTenantAllows += 1;
    }
    // Normalisation forms never change a decision.
    for (const ns of [namespace, ...equivalentForms(namespace)]) {
      for (const n of [name, ...equivalentForms(name)]) {
        if (ns === namespace && n === name) continue;
        totals.equivalenceChecks += 1;
        if (can(check.capability, ns, n) !== got)
          totals.mismatches.push(`equivalent form ${JSON.stringify(ns)} ${JSON.stringify(n)} of ${what}`);
      }
    }
    // A path trick names another secret: decided on its own, never allowed where the model denies.
    const tricks: Array<[string, string]> = [
      ...trickVariants(namespace).map((ns): [string, string] => [ns, name]),
      ...trickVariants(name).map((n): [string, string] => [namespace, n]),
    ];
    for (const [ns, n] of tricks) {
      totals.trickChecks += 1;
      const trickGot = can(check.capability, ns, n);
      if (trickGot !== expected(ns, n))
        totals.mismatches.push(`trick ${JSON.stringify(ns)} ${JSON.stringify(n)} of ${what}: ${trickGot}`);
    }
  }

  function requestOf(check: CheckSpec, token: ModelToken | undefined): [string, string] {
    // Near a rule of the caller's policies, or (root) near one of the approvals naming it.
    const rules =
      token === undefined
        ? []
        : token.tenant === null
          ? model.approvalsOf(token.id)
          : token.policies.flatMap((policy) => model.policy(token.tenant ?? '', policy) ?? []);
    const rule = check.near === null ? undefined : rules[check.near.pick % Math.max(1, rules.length)];
    if (check.near === null || rule === undefined) return [check.namespace, check.name];
    return [
      nearPattern(rule.namespace, check.near.namespaceSuffix, check.near.namespaceForm),
      nearPattern(rule.name, check.near.nameSuffix, check.near.nameForm),
    ];
  }
}
