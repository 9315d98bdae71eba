// Level-2 /v2/sys operations by random tokens: list and put policies, create tokens, in the caller's tenant or
// another (I-T1: a tenant admin administers only its own tenant; root administers any).
import type { ModelRule } from './authz-model.ts';
import { DEFAULT_TENANT, type HttpModelCheck } from './authz-model-http-check.ts';
import { send } from './authz-model-http.ts';
import { httpTenant, type HttpOp } from './authz-model-plan.ts';

type SysOp = Extract<HttpOp, { kind: 'sys-list-policies' | 'sys-put-policy' | 'sys-create-token' }>;

/** Rules as the server keeps them: patterns in NFC (parseRules), capabilities without repeats. */
const canonicalRules = (rules: readonly ModelRule[]) =>
  rules.map((rule) => ({
    namespace: rule.namespace.normalize('NFC'),
    name: rule.name.normalize('NFC'),
    capabilities: [...new Set(rule.capabilities)],
  }));

const expectedPolicies = (check: HttpModelCheck, tenant: string): string =>
  JSON.stringify(
    check.model.policies(tenant).map(({ name, rules }) => ({ name, rules: canonicalRules(rules) })),
  );

async function verifyPolicies(check: HttpModelCheck, tenant: string, what: string): Promise<void> {
  const reply = await send(check.urls[0] ?? '', 'GET', `/v2/sys/policies?tenant=${tenant}`, check.root);
  const got =
    reply.status === 200 ? JSON.stringify((JSON.parse(reply.body) as { policies: unknown }).policies) : '';
  if (got !== expectedPolicies(check, tenant))
    check.mismatch(`${what}: policies of ${tenant} are not the model's`);
}

export async function runSysOp(check: HttpModelCheck, op: SysOp): Promise<void> {
  const { token, base } = check.pick(op);
  const target = op.tenant === null ? undefined : httpTenant(op.tenant);
  const query = target === undefined ? '' : `?tenant=${target}`;
  const decision = check.model.decideAdmin(token.secret, target, Date.now());
  const acting = decision.tenant ?? token.home;
  const what = `${op.kind} by ${token.label} on node ${op.node} for ${String(target)}`;
  let reply;
  switch (op.kind) {
    case 'sys-list-policies':
      reply = await send(base, 'GET', `/v2/sys/policies${query}`, token.secret);
      break;
    case 'sys-put-policy':
      reply = await send(base, 'PUT', `/v2/sys/policies/${op.policy}${query}`, token.secret, {
        rules: op.rules,
      });
      break;
    case 'sys-create-token':
      reply = await send(base, 'POST', '/v2/sys/tokens', token.secret, {
        ...(target === undefined ? {} : { tenant: target }),
        policies: op.policies,
      });
      break;
  }
  check.count(op.kind, decision.allow);
  check.observe(reply, acting, !decision.allow, what);
  if (!decision.allow) {
    const code = decision.status === 401 ? 'DSV_AUTH_REQUIRED' : 'DSV_AUTH_FORBIDDEN';
    const problemCode = (() => {
      try {
        return (JSON.parse(reply.body) as { code?: unknown }).code;
      } catch {
        return undefined;
      }
    })();
    if (reply.status !== decision.status || problemCode !== code)
      check.mismatch(
        `${what}: model denies (${decision.status}) but got ${reply.status} ${reply.body.slice(0, 80)}`,
      );
    if (op.kind === 'sys-put-policy') await verifyPolicies(check, target ?? token.home, `denied ${what}`);
    return;
  }
  const tenant = decision.tenant ?? DEFAULT_TENANT;
  switch (op.kind) {
    case 'sys-list-policies': {
      const body =
        reply.status === 200 ? (JSON.parse(reply.body) as { tenant: string; policies: unknown }) : undefined;
      if (body?.tenant !== tenant || JSON.stringify(body.policies) !== expectedPolicies(check, tenant))
        check.mismatch(`${what}: expected the model's policies of ${tenant}, got ${reply.status}`);
      return;
    }
    case 'sys-put-policy':
      if (reply.status !== 200)
        check.mismatch(`${what}: model allows; got ${reply.status} ${reply.body.slice(0, 80)}`);
      check.model.putPolicy(tenant, op.policy, op.rules); // dropped for a tenant that does not exist
      await verifyPolicies(check, tenant, what);
      return;
    case 'sys-create-token': {
      if (!check.model.hasTenant(tenant)) {
        if (reply.status !== 400)
          check.mismatch(`${what}: token for a missing tenant answered ${reply.status}`);
        return;
      }
      if (reply.status !== 201) {
        check.mismatch(`${what}: model allows; got ${reply.status} ${reply.body.slice(0, 80)}`);
        return;
      }
      const created = JSON.parse(reply.body) as { token: string; accessor: string; tenant: string };
      if (created.tenant !== tenant)
        check.mismatch(`${what}: token created for ${created.tenant}, not ${tenant}`);
      check.model.addToken({
        id: created.accessor,
        secret: created.token,
        tenant: created.tenant,
        policies: op.policies,
        expiresAt: null,
      });
      check.pool.push({
        label: `${created.tenant}:${op.policies.join('+') || 'none'}:new`,
        secret: created.token,
        home: created.tenant,
      });
      return;
    }
  }
}
