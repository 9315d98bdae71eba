// Policy evaluation (I-T2 default deny): a request is allowed only if some rule of the token's policies
// matches its namespace and name and grants the capability. Fields are matched separately, never joined,
// and both sides are compared in Unicode NFC, case-sensitively: no path trick can change a decision.
import { DsvError } from '../errors/index.ts';
import { CAPABILITIES, type Capability, type PolicyRule } from './control-entry.ts';

/** Exact match, or a prefix match when the pattern ends in `*` (the only wildcard). */
export function patternMatches(pattern: string, value: string): boolean {
  const p = pattern.normalize('NFC');
  const v = value.normalize('NFC');
  return p.endsWith('*') ? v.startsWith(p.slice(0, -1)) : p === v;
}

export function ruleAllows(
  rule: PolicyRule,
  namespace: string,
  name: string,
  capability: Capability,
): boolean {
  return (
    rule.capabilities.includes(capability) &&
    patternMatches(rule.namespace, namespace) &&
    patternMatches(rule.name, name)
  );
}

export function allows(
  rules: readonly PolicyRule[],
  namespace: string,
  name: string,
  capability: Capability,
): boolean {
  return rules.some((rule) => ruleAllows(rule, namespace, name, capability));
}

/** Parses and validates rules from an API body; `path` is "namespace/name" split at the first `/`. */
export function parseRules(input: unknown): PolicyRule[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > 100) {
    throw new DsvError('DSV_INPUT_INVALID', 'rules must be a list of 1 to 100 rules');
  }
  return input.map((raw: unknown, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new DsvError('DSV_INPUT_INVALID', `rule ${index + 1}: a rule is an object`);
    const rule = raw as { path?: unknown; namespace?: unknown; name?: unknown; capabilities?: unknown };
    let namespace = rule.namespace;
    let name = rule.name;
    if (typeof rule.path === 'string') {
      const slash = rule.path.indexOf('/');
      if (slash <= 0)
        throw new DsvError('DSV_INPUT_INVALID', `rule ${index + 1}: path must be "namespace/name"`);
      namespace = rule.path.slice(0, slash);
      name = rule.path.slice(slash + 1);
    }
    if (typeof namespace !== 'string' || typeof name !== 'string' || namespace === '' || name === '') {
      throw new DsvError('DSV_INPUT_INVALID', `rule ${index + 1}: namespace and name patterns are required`);
    }
    for (const pattern of [namespace, name]) {
      if (!pattern.isWellFormed()) {
        throw new DsvError('DSV_INPUT_INVALID', `rule ${index + 1}: patterns must be well-formed Unicode`);
      }
      if (pattern.indexOf('*') !== -1 && pattern.indexOf('*') !== pattern.length - 1) {
        throw new DsvError(
          'DSV_INPUT_INVALID',
          `rule ${index + 1}: '*' is allowed only at the end of a pattern`,
        );
      }
    }
    const capabilities = rule.capabilities;
    if (
      !Array.isArray(capabilities) ||
      capabilities.length === 0 ||
      !capabilities.every((c) => CAPABILITIES.includes(c as Capability))
    ) {
      throw new DsvError(
        'DSV_INPUT_INVALID',
        `rule ${index + 1}: capabilities must be some of ${CAPABILITIES.join(', ')}`,
      );
    }
    return {
      namespace: namespace.normalize('NFC'),
      name: name.normalize('NFC'),
      capabilities: [...new Set(capabilities as Capability[])],
    };
  });
}
