// The level-2 plan, drawn once from a seed: policies, tokens and a sequence of v1 and /v2/sys operations
// by random tokens on random nodes, over tricky namespaces and names (path tricks, NFC/NFD, case).
import fc from 'fast-check';
import type { ModelCapability, ModelRule } from './authz-model.ts';

export const HTTP_TENANTS = ['default', 'acme', 'globex', 'initech'] as const;
export const HTTP_POLICIES = ['p0', 'p1', 'p2', 'p3'] as const;

export const HTTP_NAMESPACES: readonly string[] = ['app', 'App', 'ops', 'caf\u00e9', 'cafe\u0301', 'app/..'];
export const HTTP_NAMES: readonly string[] = [
  'api-key',
  'API-KEY',
  'caf\u00e9',
  'cafe\u0301',
  'app/db',
  'app//db',
  'app%2Fdb',
  'app/../db',
  'db',
  '..',
  'app/',
  '\u212b',
  '\u00c5',
  'x/all',
];

export type EnvAction = 'get' | 'get-version' | 'new' | 'update' | 'delete';
export type SecretOpKind = 'create' | 'update' | 'read' | 'read-version' | 'read-all' | 'delete';
/** v2 (NFC-canonical names): PUT is create-or-update, so it needs `create` or `update` by what it does. */
export type V2OpKind = 'v2-put' | 'v2-read' | 'v2-read-version' | 'v2-versions' | 'v2-delete' | 'v2-list';

interface KeyParts {
  readonly ns: number;
  readonly name: number;
  readonly version: number;
}
interface OnNode {
  readonly token: number;
  readonly node: number;
}
export type HttpOp =
  | (OnNode & { readonly kind: SecretOpKind } & KeyParts)
  | (OnNode & { readonly kind: V2OpKind } & KeyParts)
  | (OnNode & {
      readonly kind: 'env' | 'v2-env';
      readonly ns: number;
      readonly lines: ReadonlyArray<{
        readonly name: number;
        readonly action: EnvAction;
        readonly version: number;
      }>;
    })
  | (OnNode & { readonly kind: 'sys-list-policies'; readonly tenant: number | null })
  | (OnNode & {
      readonly kind: 'sys-put-policy';
      readonly tenant: number | null;
      readonly policy: string;
      readonly rules: ModelRule[];
    })
  | (OnNode & {
      readonly kind: 'sys-create-token';
      readonly tenant: number | null;
      readonly policies: string[];
    });

export interface PlannedToken {
  readonly tenant: number;
  readonly policies: string[];
  readonly fate: 'live' | 'revoked' | 'expired';
}

export interface HttpPlan {
  readonly policies: ReadonlyArray<{
    readonly tenant: number;
    readonly policy: string;
    readonly rules: ModelRule[];
  }>;
  readonly tokens: readonly PlannedToken[];
  readonly ops: readonly HttpOp[];
}

/** A pattern over the pools: exact (either form), a prefix cut at any code point of either form, or `*`. */
const patternOver = (pool: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...pool), fc.constantFrom('NFC', 'NFD')).map(([v, form]) => v.normalize(form)),
    fc
      .tuple(fc.constantFrom(...pool), fc.constantFrom('NFC', 'NFD'), fc.nat({ max: 8 }))
      .map(([v, form, cut]) => `${Array.from(v.normalize(form)).slice(0, cut).join('')}*`),
    fc.constant('*'),
  );

const SECRET_CAPABILITIES: ModelCapability[] = ['read', 'create', 'update', 'delete', 'history', 'list'];
const ruleArb: fc.Arbitrary<ModelRule> = fc.record({
  namespace: patternOver(HTTP_NAMESPACES),
  name: patternOver(HTTP_NAMES),
  capabilities: fc
    .tuple(fc.subarray(SECRET_CAPABILITIES, { minLength: 1 }), fc.nat({ max: 9 }))
    .map(([capabilities, dice]) => (dice === 0 ? [...capabilities, 'admin' as const] : capabilities)),
});
const rulesArb = fc.array(ruleArb, { minLength: 1, maxLength: 4 });

const onNode = { token: fc.nat({ max: 999 }), node: fc.nat({ max: 2 }) };
const tenantRef = fc.option(fc.nat({ max: HTTP_TENANTS.length }), { nil: null, freq: 3 });
const secretOp = <K extends SecretOpKind | V2OpKind>(kind: K) =>
  fc.record({
    kind: fc.constant(kind),
    ...onNode,
    ns: fc.nat({ max: HTTP_NAMESPACES.length - 1 }),
    name: fc.nat({ max: HTTP_NAMES.length - 1 }),
    version: fc.integer({ min: 1, max: 3 }),
  });

const opArb: fc.Arbitrary<HttpOp> = fc.oneof(
  { weight: 6, arbitrary: secretOp('create') },
  { weight: 6, arbitrary: secretOp('update') },
  { weight: 8, arbitrary: secretOp('read') },
  { weight: 3, arbitrary: secretOp('read-version') },
  { weight: 3, arbitrary: secretOp('read-all') },
  { weight: 3, arbitrary: secretOp('delete') },
  { weight: 4, arbitrary: secretOp('v2-put') },
  { weight: 4, arbitrary: secretOp('v2-read') },
  { weight: 2, arbitrary: secretOp('v2-read-version') },
  { weight: 2, arbitrary: secretOp('v2-versions') },
  { weight: 2, arbitrary: secretOp('v2-delete') },
  { weight: 2, arbitrary: secretOp('v2-list') },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom('env' as const, 'v2-env' as const),
      ...onNode,
      ns: fc.nat({ max: HTTP_NAMESPACES.length - 1 }),
      lines: fc.uniqueArray(
        fc.record({
          name: fc.nat({ max: HTTP_NAMES.length - 1 }),
          action: fc.constantFrom<EnvAction>('get', 'get', 'get-version', 'new', 'update', 'delete'),
          version: fc.integer({ min: 1, max: 3 }),
        }),
        { minLength: 1, maxLength: 3, selector: (line) => line.name },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('sys-list-policies' as const), ...onNode, tenant: tenantRef }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('sys-put-policy' as const),
      ...onNode,
      tenant: tenantRef,
      policy: fc.constantFrom(...HTTP_POLICIES),
      rules: rulesArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('sys-create-token' as const),
      ...onNode,
      tenant: tenantRef,
      policies: fc.subarray([...HTTP_POLICIES]),
    }),
  },
);

export function planArb(operations: number): fc.Arbitrary<HttpPlan> {
  return fc.record({
    policies: fc.array(
      fc.record({
        tenant: fc.nat({ max: HTTP_TENANTS.length - 1 }),
        policy: fc.constantFrom(...HTTP_POLICIES),
        rules: rulesArb,
      }),
      { minLength: 12, maxLength: 16 },
    ),
    tokens: fc.array(
      fc.record({
        tenant: fc.nat({ max: HTTP_TENANTS.length - 1 }),
        policies: fc.subarray([...HTTP_POLICIES, 'missing']),
        fate: fc.constantFrom<PlannedToken['fate']>('live', 'live', 'live', 'live', 'revoked', 'expired'),
      }),
      { minLength: 14, maxLength: 18 },
    ),
    ops: fc.array(opArb, { minLength: operations, maxLength: operations }),
  });
}

/** A tenant reference: one of HTTP_TENANTS, or (the last index) a tenant that does not exist. */
export const httpTenant = (ref: number): string => HTTP_TENANTS[ref] ?? 'ghost';
