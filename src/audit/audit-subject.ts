// What a handler tells the audit hook about its request once it knows (caller, operation, secret path,
// whether the body carries secret material) — kept beside the request, never in the request's own fields.
import type { FastifyRequest } from 'fastify';

/** The caller as the tokens context resolved it: the tenant and the token's accessor (never the token). */
export interface AuditCaller {
  readonly tenant: string;
  readonly accessor: string | null;
}

export interface AuditClassification {
  /** A short dotted name, e.g. `secret.read`, `secret.create`, `env.transform` — never a URL. */
  readonly operation: string;
  /**
   * What an admin operation acted on, `kind:id` (`token:<accessor>`, `policy:<tenant>/<name>`,
   * `tenant:<name>`) — never a token or secret value. One that is not well-formed is recorded as null.
   */
  readonly target?: string;
  /** With `name`: the secret path, recorded only as its per-tenant HMAC. */
  readonly namespace?: string;
  readonly name?: string;
  /** Every further secret path the request read or wrote (a .env transform): one record each, by HMAC. */
  readonly paths?: ReadonlyArray<{ readonly namespace: string; readonly name: string }>;
  /** The body holds secret material: it is sent only after its record is durable (I-A1). */
  readonly carriesSecret: boolean;
}

export interface AuditSubject {
  readonly tenant?: string;
  readonly accessor?: string | null;
  readonly operation?: string;
  readonly target?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly paths?: AuditClassification['paths'];
  readonly carriesSecret?: boolean;
  /** I-T4c: the approvals a root caller's access relied on (filled while the request runs). */
  readonly approvals?: ReadonlySet<string>;
}

const subjects = new WeakMap<FastifyRequest, AuditSubject>();

/** Merges `subject` into what is noted for `request`; later notes win field by field. */
export function noteAuditSubject(request: FastifyRequest, subject: AuditSubject): void {
  subjects.set(request, { ...subjects.get(request), ...subject });
}

export function auditSubjectOf(request: FastifyRequest): AuditSubject | undefined {
  return subjects.get(request);
}
