// fast-check scenarios for the level-1 authorisation model check: tenants, control records (policies,
// tokens, revocations, clock ticks) interleaved with queries by random tokens, headers and tenants.
import fc from 'fast-check';
import { MODEL_CAPABILITIES, type ModelCapability, type ModelRule } from './authz-model.ts';
import { formArb, nameArb, rulesArb, type Form } from './authz-model-names.ts';

export const TENANT_POOL = ['acme', 'Acme', 'globex', 'initech', 'umbrella', 'default'] as const;
export const POLICY_NAMES = ['p0', 'p1', 'p2', 'p3'] as const;

/** How the Authorization header is written; only the `bearer*` forms carry the token as sent. */
export type HeaderForm =
  | 'bearer'
  | 'bearer-lower'
  | 'bearer-upper'
  | 'bearer-tab'
  | 'bearer-trailing'
  | 'none'
  | 'basic'
  | 'mangled'
  | 'truncated';

/** A request value: free, or near a pattern of one of the caller's rules (so allows are frequent). */
export interface CheckSpec {
  readonly capability: ModelCapability;
  readonly namespace: string;
  readonly name: string;
  readonly near: {
    readonly pick: number;
    readonly namespaceSuffix: string;
    readonly nameSuffix: string;
    readonly namespaceForm: Form;
    readonly nameForm: Form;
  } | null;
}

/** Tenant references are indices into the chosen tenants plus two that do not exist at first. */
export type Step =
  | { readonly kind: 'tenant-create'; readonly tenant: number }
  | {
      readonly kind: 'policy-put';
      readonly tenant: number;
      readonly policy: string;
      readonly rules: ModelRule[];
    }
  | { readonly kind: 'policy-delete'; readonly tenant: number; readonly policy: string }
  | {
      readonly kind: 'token-create';
      readonly tenant: number;
      readonly root: boolean;
      /** I-T4: a tenant's bootstrap admin (no creator); only the tenant's first one counts. */
      readonly bootstrap: boolean;
      readonly policies: string[];
      readonly ttlMs: number | null;
    }
  | {
      /** I-T4: an approval (revocable) or a break-glass (not) for the token at `grantee`. */
      readonly kind: 'approval';
      readonly breakGlass: boolean;
      readonly tenant: number;
      readonly grantee: number;
      readonly namespace: string;
      readonly name: string;
      readonly capabilities: ModelCapability[];
      readonly ttlMs: number;
    }
  | { readonly kind: 'approval-revoke'; readonly approval: number; readonly tenant: number }
  | { readonly kind: 'token-revoke'; readonly token: number }
  | { readonly kind: 'tick'; readonly ms: number }
  | {
      readonly kind: 'query';
      readonly token: number;
      readonly header: HeaderForm;
      readonly override: number | null;
      readonly checks: CheckSpec[];
    };

export interface Scenario {
  readonly tenants: string[];
  readonly steps: Step[];
}

const tenantRef = fc.nat({ max: 63 });
const policyName = fc.constantFrom(...POLICY_NAMES);

const policyPut = fc.record({
  kind: fc.constant('policy-put' as const),
  tenant: tenantRef,
  policy: policyName,
  rules: rulesArb,
});
const tokenCreate = fc.record({
  kind: fc.constant('token-create' as const),
  tenant: tenantRef,
  root: fc.nat({ max: 5 }).map((n) => n === 0), // one token in six is a root token
  bootstrap: fc.nat({ max: 5 }).map((n) => n === 0),
  policies: fc.subarray([...POLICY_NAMES, 'missing']),
  // Expiries on the same grid as the ticks, so `now === expiresAt` happens.
  ttlMs: fc.option(fc.constantFrom(0, 500, 1000, 1500, 2000), { nil: null, freq: 2 }),
});

// Patterns of approvals: the same generator as policy rules (exact or a prefix ending in `*`).
const approvalArb = rulesArb.chain((rules) =>
  fc.record({
    kind: fc.constant('approval' as const),
    breakGlass: fc.nat({ max: 3 }).map((n) => n === 0),
    tenant: tenantRef,
    grantee: fc.nat({ max: 63 }),
    namespace: fc.constant(rules[0]?.namespace ?? '*'),
    name: fc.constant(rules[0]?.name ?? '*'),
    capabilities: fc.subarray(
      ['read', 'create', 'update', 'delete', 'list', 'history'] as ModelCapability[],
      {
        minLength: 1,
      },
    ),
    // On the tick grid, so `now === expiresAt` happens.
    ttlMs: fc.constantFrom(500, 1000, 1500, 2000, 60_000),
  }),
);

const checkArb: fc.Arbitrary<CheckSpec> = fc.record({
  capability: fc.constantFrom(...MODEL_CAPABILITIES),
  namespace: nameArb,
  name: nameArb,
  near: fc.option(
    fc.record({
      pick: fc.nat({ max: 63 }),
      namespaceSuffix: fc.oneof(fc.constant(''), nameArb),
      nameSuffix: fc.oneof(fc.constant(''), nameArb),
      namespaceForm: formArb,
      nameForm: formArb,
    }),
    { nil: null, freq: 3 },
  ),
});

const headerArb: fc.Arbitrary<HeaderForm> = fc.oneof(
  { weight: 20, arbitrary: fc.constant('bearer' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'bearer-lower',
      'bearer-upper',
      'bearer-tab',
      'bearer-trailing',
      'none',
      'basic',
      'mangled',
      'truncated',
    ),
  },
);

const queryArb = fc.record({
  kind: fc.constant('query' as const),
  token: fc.nat({ max: 63 }),
  header: headerArb,
  override: fc.option(tenantRef, { nil: null, freq: 3 }),
  checks: fc.array(checkArb, { minLength: 1, maxLength: 4 }),
});

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 40, arbitrary: queryArb },
  { weight: 2, arbitrary: policyPut },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('policy-delete' as const),
      tenant: tenantRef,
      policy: policyName,
    }),
  },
  { weight: 2, arbitrary: tokenCreate },
  { weight: 2, arbitrary: approvalArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('approval-revoke' as const),
      approval: fc.nat({ max: 63 }),
      tenant: tenantRef,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('token-revoke' as const), token: fc.nat({ max: 63 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(1, 499, 500, 501) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tenant-create' as const), tenant: tenantRef }) },
);

export function scenarioArb(queries: { max: number }): fc.Arbitrary<Scenario> {
  return fc.record({
    tenants: fc.uniqueArray(fc.constantFrom(...TENANT_POOL), { minLength: 3, maxLength: 5 }),
    steps: fc
      .tuple(
        fc.array(fc.oneof(policyPut, tokenCreate, approvalArb), { maxLength: 16, size: 'max' }),
        // No minimum, so a failure shrinks to a handful of steps; `size: 'max'` keeps runs long.
        fc.array(stepArb, { minLength: 1, maxLength: queries.max, size: 'max' }),
      )
      .map(([setup, main]) => [...setup, ...main]),
  });
}

/** The tenant a reference names: one of the chosen ones, or one that does not exist (yet). */
export function tenantName(tenants: readonly string[], ref: number): string {
  const extra = ['ghost', (tenants[0] ?? 'acme').toUpperCase()];
  const all = [...tenants, ...extra];
  return all[ref % all.length] ?? 'ghost';
}
