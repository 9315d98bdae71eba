// Admin separation (I-T4) helpers for tests: name a tenant's bootstrap admin the way a deployment does (the
// future admin makes its token, root records only its verifiers), and grant root an approval as that admin.
import { makeAdminRequest } from '../../src/cli/client/admin-request.ts';

export interface TenantAdmin {
  readonly token: string;
  readonly accessor: string;
}

async function call(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  tenant?: string,
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      // The tenant a root token acts on in /v2/secrets and /v2/client-side (I-T4).
      ...(tenant === undefined ? {} : { 'x-dsv-tenant': tenant }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Root names `tenant`'s bootstrap admin from verifiers only; throws unless it answered 201. */
export async function bootstrapTenantAdmin(
  url: string,
  rootToken: string,
  tenant: string,
): Promise<TenantAdmin> {
  const request = await makeAdminRequest(url);
  const answer = await call(url, rootToken, 'POST', `/v2/sys/tenants/${tenant}/admin`, {
    verifiers: request.verifiers,
  });
  if (answer.status !== 201)
    throw new Error(`bootstrap ${tenant}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { token: request.token, accessor: String(answer.body.accessor) };
}

/** The accessor of a token (`GET /v2/sys/tokens/self`). */
export async function accessorOf(url: string, token: string): Promise<string> {
  const answer = await call(url, token, 'GET', '/v2/sys/tokens/self');
  return String(answer.body.accessor);
}

export interface ApprovalGrant {
  readonly grantee: string;
  readonly path: string;
  readonly capabilities: readonly string[];
  readonly ttlSeconds: number;
  readonly reason: string;
}

/** The tenant admin grants an approval; returns the HTTP answer as is. */
export function grantApproval(url: string, adminToken: string, grant: ApprovalGrant) {
  return call(url, adminToken, 'POST', '/v2/sys/approvals', grant);
}

export { call as adminCall };
