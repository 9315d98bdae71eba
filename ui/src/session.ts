// The signed-in caller as the node describes it (GET /ui/api/session) and what its rules grant, mirrored
// from src/control/policy.ts only to decide what to offer: the node authorises every call itself.
export type Capability = 'read' | 'create' | 'update' | 'delete' | 'list' | 'history' | 'admin';

export interface Rule {
  readonly namespace: string;
  readonly name: string;
  readonly capabilities: readonly Capability[];
}

export interface Session {
  readonly tenant: string;
  readonly accessor: string;
  readonly root: boolean;
  readonly admin: boolean;
  readonly expiresAt: string | null;
  readonly rules: readonly Rule[];
}

export function matches(pattern: string, value: string): boolean {
  const p = pattern.normalize('NFC');
  const v = value.normalize('NFC');
  return p.endsWith('*') ? v.startsWith(p.slice(0, -1)) : p === v;
}

/** Whether the session may do `capability` on namespace/name. */
export function can(session: Session, capability: Capability, namespace: string, name: string): boolean {
  if (session.root) return true;
  return session.rules.some(
    (rule) =>
      rule.capabilities.includes(capability) &&
      matches(rule.namespace, namespace) &&
      matches(rule.name, name),
  );
}

/** Whether some name in `namespace` may get `capability` (to offer a form before a name is typed). */
export function canSomewhere(session: Session, capability: Capability, namespace?: string): boolean {
  if (session.root) return true;
  return session.rules.some(
    (rule) =>
      rule.capabilities.includes(capability) &&
      (namespace === undefined || matches(rule.namespace, namespace)),
  );
}
