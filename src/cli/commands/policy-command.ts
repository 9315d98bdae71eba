// `dsv policy put|list|get|delete`: a tenant's policies (rules of namespace/name patterns and capabilities).
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { CAPABILITIES } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import { clientFor, withConnection, type ConnectionOptions } from '../client/connection.ts';
import { action, printJson, printTable } from '../client/output.ts';
import { segment } from '../client/v2-client.ts';

interface Rule {
  namespace: string;
  name: string;
  capabilities: string[];
}
interface Policy {
  name: string;
  rules: Rule[];
}
type TenantOptions = ConnectionOptions & { tenant?: string };

/** `ns/name*:read,list` → {path, capabilities}; the last `:` separates them (capabilities never hold one). */
export function parseRuleOption(raw: string, previous: readonly unknown[] = []): unknown[] {
  const colon = raw.lastIndexOf(':');
  const path = raw.slice(0, colon);
  const capabilities = raw
    .slice(colon + 1)
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (colon < 0 || !path.includes('/') || capabilities.length === 0) {
    throw new InvalidArgumentError(
      'expected namespace/name:capability[,capability…], e.g. "app/db*:read,list"',
    );
  }
  return [...previous, { path, capabilities }];
}

/** What a user may mean by a capability DSV does not have (Vault's words, HTTP verbs, typos' neighbours). */
const MEANT: Readonly<Record<string, string>> = {
  write: 'create,update',
  put: 'create,update',
  post: 'create',
  patch: 'update',
  get: 'read',
  remove: 'delete',
  destroy: 'delete',
  sudo: 'admin',
  root: 'admin',
  manage: 'admin',
  versions: 'history',
  '*': CAPABILITIES.join(','),
  deny: 'nothing: what no rule grants is denied',
};

/**
 * One warning per capability DSV does not know, with what was probably meant (issue 11). The server refuses
 * such a policy anyway; saying which word and what to write instead is the part it cannot.
 */
export function unknownCapabilityWarnings(rules: unknown): string[] {
  if (!Array.isArray(rules)) return [];
  const known = new Set<string>(CAPABILITIES);
  return rules.flatMap((rule: unknown, index) => {
    const capabilities = (rule as { capabilities?: unknown } | null)?.capabilities;
    if (!Array.isArray(capabilities)) return [];
    return capabilities
      .filter((capability): capability is string => typeof capability === 'string')
      .filter((capability) => !known.has(capability))
      .map((capability) => {
        const meant =
          MEANT[capability.toLowerCase()] ??
          (known.has(capability.toLowerCase()) ? capability.toLowerCase() : undefined);
        return (
          `warning: rule ${index + 1}: unknown capability "${capability}"` +
          (meant === undefined ? '' : ` (did you mean ${meant}?)`) +
          `; capabilities are ${CAPABILITIES.join(', ')}`
        );
      });
  });
}

async function rulesFromFile(file: string): Promise<unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `Cannot read rules from ${file} (a JSON list of rules, or {"rules": […]})`,
      {
        cause: error,
      },
    );
  }
  return Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown } | null)?.rules;
}

const tenantQuery = (options: TenantOptions) => ({ query: { tenant: options.tenant } });

function printRules(rules: readonly Rule[]): void {
  printTable([
    ['NAMESPACE', 'NAME', 'CAPABILITIES'],
    ...rules.map((r) => [r.namespace, r.name, r.capabilities.join(',')]),
  ]);
}

async function listPolicies(options: TenantOptions): Promise<{ tenant: string; policies: Policy[] }> {
  return clientFor(options).json('GET', '/v2/sys/policies', tenantQuery(options));
}

export function registerPolicyCommand(program: Command): void {
  const policy = program.command('policy').description("a tenant's policies: what its tokens may do, where");
  const tenantOption = ['--tenant <tenant>', "the tenant (root only; default: the caller's tenant)"] as const;

  withConnection(
    policy
      .command('put <name>')
      .description('create or replace a policy')
      .option('--file <file>', 'rules as JSON: [{"path": "ns/name*", "capabilities": ["read"]}, …]')
      .option(
        '--rule <rule>',
        'namespace/name:capabilities, `*` at the end of a pattern; repeatable',
        parseRuleOption,
      )
      .option(...tenantOption),
  ).action(
    action(async (name: string, options: TenantOptions & { file?: string; rule?: unknown[] }) => {
      if ((options.file === undefined) === (options.rule === undefined)) {
        throw new DsvError('DSV_INPUT_INVALID', 'Give the rules with either --file or --rule');
      }
      const rules = options.file === undefined ? options.rule : await rulesFromFile(options.file);
      const unknown = unknownCapabilityWarnings(rules);
      for (const warning of unknown) console.error(warning);
      if (unknown.length > 0)
        throw new DsvError(
          'DSV_INPUT_INVALID',
          `policy ${name} not stored: ${unknown.length} unknown ${unknown.length === 1 ? 'capability' : 'capabilities'}`,
        );
      const body = await clientFor(options).json<{ tenant: string; name: string; rules: Rule[] }>(
        'PUT',
        `/v2/sys/policies/${segment(name)}`,
        { ...tenantQuery(options), json: { rules } },
      );
      if (options.json) return printJson(body);
      console.log(`policy ${body.name} of tenant ${body.tenant}: ${body.rules.length} rules`);
      printRules(body.rules);
    }),
  );

  withConnection(
    policy
      .command('list')
      .description("the tenant's policies")
      .option(...tenantOption),
  ).action(
    action(async (options: TenantOptions) => {
      const body = await listPolicies(options);
      if (options.json) return printJson(body);
      printTable([['POLICY', 'RULES'], ...body.policies.map((p) => [p.name, String(p.rules.length)])]);
    }),
  );

  withConnection(
    policy
      .command('get <name>')
      .description("one policy's rules")
      .option(...tenantOption),
  ).action(
    action(async (name: string, options: TenantOptions) => {
      const body = await listPolicies(options);
      const found = body.policies.find((p) => p.name === name);
      if (found === undefined)
        throw new DsvError('DSV_ROUTE_NOT_FOUND', `No policy ${name} in tenant ${body.tenant}`);
      if (options.json) return printJson({ tenant: body.tenant, ...found });
      printRules(found.rules);
    }),
  );

  withConnection(
    policy
      .command('delete <name>')
      .description('delete a policy')
      .option(...tenantOption),
  ).action(
    action(async (name: string, options: TenantOptions) => {
      await clientFor(options).request('DELETE', `/v2/sys/policies/${segment(name)}`, tenantQuery(options));
      if (options.json) return printJson({ name, deleted: true });
      console.log(`deleted policy ${name}`);
    }),
  );
}
