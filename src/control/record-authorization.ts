// May this caller make this record? One answer for the gateway and for every endorsing node
// (trust-boundaries design §4; I-T1 no cross-tenant access, I-T2 default deny, I-T3 authority needs q nodes).
import { APPROVAL_CAPABILITIES, type Capability } from './control-entry.ts';
import type { Caller } from './token-authenticator.ts';
import type { TokenRecord } from './control-store.ts';

/** The parts of a record body an endorser judges (a structural view of the log entries). */
export type AuthorizableRecord =
  | {
      readonly type: 'intent';
      readonly tenant: string;
      /** Client-side mode: the accessor that will stage the shards; it must be the caller's own. */
      readonly stager?: string;
      readonly ops: ReadonlyArray<{ op: string; namespace: string; name: string; version?: number }>;
    }
  | { readonly type: 'tenant-create' | 'quota-set' | 'keys-rotate' | 'tenant-shred'; readonly tenant: string }
  | { readonly type: 'token-create'; readonly tenant: string | null; readonly creator: string | null }
  | {
      readonly type: 'approval-grant';
      readonly tenant: string;
      readonly grantee: string;
      readonly capabilities: readonly string[];
      readonly by: string;
    }
  | { readonly type: 'approval-revoke'; readonly tenant: string; readonly by: string }
  | { readonly type: 'approval-break-glass'; readonly tenant: string }
  | { readonly type: 'token-revoke'; readonly accessor: string }
  | { readonly type: 'policy-put' | 'policy-delete'; readonly tenant: string }
  | { readonly type: 'tenant-key-set' | 'tenant-key-revoke'; readonly tenant: string; readonly by: string }
  | {
      readonly type: 'hold-place' | 'hold-release';
      readonly tenant: string;
      readonly namespace: string | null;
      readonly name: string | null;
      readonly by: string;
    };

const CAPABILITY_OF: Readonly<Record<string, Capability>> = {
  create: 'create',
  update: 'update',
  delete: 'delete',
  read: 'read',
};

/**
 * The tenant's admin: a token of that tenant with `admin` on `*`/`*` (I-T4). Not root: root manages tenants
 * and reads none, so it can neither write a tenant's policies nor mint its tokens — except the dev cluster's
 * standing approval (never on `dsv server`).
 */
const isTenantAdmin = (caller: Caller, tenant: string | null): boolean =>
  (caller.root && caller.standing === true) ||
  (!caller.root && tenant !== null && tenant === caller.tenant && caller.can('admin', '*', '*'));

/** What the deciding node's own control view answers about tenants (I-T4 bootstrap). */
export interface ControlLookup {
  /** Whether the tenant's bootstrap admin was ever named. Absent: assumed yes (fail closed). */
  readonly tenantHasBootstrap?: (tenant: string) => boolean;
}

/**
 * I-T4 bootstrap: outside the dev path root may mint exactly one token in a tenant — its bootstrap admin, with
 * no creator (so rotating root never revokes it) — and only while the tenant has none. The record carries only
 * verifiers the future admin computed from a token root never sees; the view applies the first one only.
 */
function mayBootstrap(
  caller: Caller,
  record: { readonly tenant: string | null; readonly creator: string | null },
  lookup: ControlLookup,
): boolean {
  if (!caller.root || record.tenant === null || record.creator !== null) return false;
  return lookup.tenantHasBootstrap?.(record.tenant) === false;
}

/**
 * A hold's scope as a policy target (I-C2b): a secret is itself; a namespace is `<namespace>/*` and the tenant
 * `*` / `*`, which only a rule whose patterns end in a bare `*` matches — a rule on `app/db*` cannot hold or
 * release all of `app`.
 */
export function mayHold(
  caller: Caller,
  capability: 'hold' | 'hold-release',
  record: { readonly tenant: string; readonly namespace: string | null; readonly name: string | null },
): boolean {
  if (caller.root) return true;
  if (record.tenant !== caller.tenant) return false;
  return caller.can(
    capability,
    record.namespace ?? '*',
    record.namespace === null ? '*' : (record.name ?? '*'),
  );
}

/**
 * True when `caller` may make `record`. `tokenOf` looks a token up in the deciding node's own control view
 * (a revocation names only an accessor). Anything not listed is refused (I-T2).
 */
export function mayMakeRecord(
  caller: Caller,
  record: AuthorizableRecord,
  tokenOf: (accessor: string) => TokenRecord | undefined,
  lookup: ControlLookup = {},
): boolean {
  switch (record.type) {
    case 'intent':
      if (!caller.root && record.tenant !== caller.tenant) return false;
      // I-S4c: a client-side intent names its stager; no caller may name another's accessor.
      if (record.stager !== undefined && record.stager !== caller.accessor) return false;
      return record.ops.every((op) => {
        const capability = CAPABILITY_OF[op.op];
        if (!capability || !caller.can(capability, op.namespace, op.name)) return false;
        // A pinned version is history (issue #8: `?version=N` and `secret(NAME, version=N)`).
        return op.op !== 'read' || op.version === undefined || caller.can('history', op.namespace, op.name);
      });
    case 'tenant-create':
    case 'quota-set':
    case 'keys-rotate':
    case 'tenant-shred':
      return caller.root;
    case 'token-create':
      // The creator is recorded so a child never outlives its parent (I-T5): it must be the caller. Root
      // mints root tokens; in a tenant only its bootstrap admin (I-T4).
      if (caller.root && record.tenant !== null && (record.creator === null || caller.standing !== true))
        return mayBootstrap(caller, record, lookup);
      return (
        record.creator === caller.accessor &&
        ((caller.root && record.tenant === null) || isTenantAdmin(caller, record.tenant))
      );
    case 'approval-grant': {
      // I-T4: only the tenant's own admin, named in the record, for a root token, secret capabilities only.
      const grantee = tokenOf(record.grantee);
      return (
        record.by === caller.accessor &&
        !caller.root &&
        isTenantAdmin(caller, record.tenant) &&
        grantee !== undefined &&
        grantee.tenant === null &&
        record.capabilities.every((capability) => APPROVAL_CAPABILITIES.includes(capability as Capability))
      );
    }
    case 'approval-revoke':
      return record.by === caller.accessor && !caller.root && isTenantAdmin(caller, record.tenant);
    case 'approval-break-glass':
      return false; // the operator key's alone (I-T4): no caller asks nodes to endorse one
    case 'token-revoke': {
      const token = tokenOf(record.accessor);
      return (
        // Root may still revoke any token (incident response: it ends access, it grants none).
        token !== undefined && (caller.root || (token.tenant !== null && isTenantAdmin(caller, token.tenant)))
      );
    }
    case 'policy-put':
    case 'policy-delete':
      return isTenantAdmin(caller, record.tenant);
    case 'tenant-key-set':
    case 'tenant-key-revoke':
      // I-K6: the tenant's admin or root, named in the record (as token-create's creator). Root keeps this:
      // choosing or revoking the tenant's key layer can destroy data (as a shred can) but reads none.
      return record.by === caller.accessor && (caller.root || isTenantAdmin(caller, record.tenant));
    case 'hold-place':
    case 'hold-release':
      // Who placed or released it is recorded, so it must be the caller (as for token-create's creator).
      return (
        record.by === caller.accessor &&
        mayHold(caller, record.type === 'hold-place' ? 'hold' : 'hold-release', record)
      );
  }
}
