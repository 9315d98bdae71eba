// `dsv dev --kafka`'s simple path under admin separation (I-T4): its nodes are `dsv server` processes, which
// never give root a standing approval, so the launcher names the default tenant's bootstrap admin at the first
// start (from verifiers, as a deployment does) and keeps that token in the dev data dir, printed at every start.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAdminRequest } from '../client/admin-request.ts';
import { writePrivateFile } from '../client/private-file.ts';

const FILE = 'default-tenant-admin.token';

/** The default tenant's admin token of this dev data dir, naming it first if needed; undefined if it cannot. */
export async function devTenantAdmin(
  dataDir: string,
  url: string,
  rootToken: string,
): Promise<string | undefined> {
  const file = join(dataDir, FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const request = await makeAdminRequest(url);
  const response = await fetch(`${url}/v2/sys/tenants/default/admin`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rootToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ verifiers: request.verifiers, displayName: 'dev default admin' }),
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 201) return undefined;
  writePrivateFile(file, `${request.token}\n`);
  return request.token;
}
