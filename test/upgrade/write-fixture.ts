// Writes an upgrade fixture: a 3-node dev cluster's data dir holding secrets, versions, a delete, binary and
// Unicode values, a second tenant with its own token and policy, and a retention hold, plus `expected.json`
// saying what must read back. Run it in a checkout of the release being captured (it uses only that release's
// test harness and public HTTP API), then pack the directory into test/fixtures/upgrade/ (test/upgrade/README.md).
//
//   node test/upgrade/write-fixture.ts <out-dir>
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster } from '../testing/dev-cluster.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: write-fixture.ts <out-dir>');
mkdirSync(out, { recursive: true });
const dataDir = join(out, 'data');

interface Expected {
  tenant: string;
  token: 'root' | 'tenant';
  namespace: string;
  name: string;
  versions: Array<{ version: number; base64: string }>;
}

const test = await startTestCluster({ nodes: 3, dataDir, devMode: false });
const root = await test.cluster.issueDevRootToken();
const url = (i: number) => test.urls[i % test.urls.length] ?? '';

async function call(i: number, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${url(i)}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

const expected: Expected[] = [];
async function put(
  i: number,
  token: string,
  tokenKind: Expected['token'],
  tenant: string,
  namespace: string,
  name: string,
  values: Uint8Array[],
) {
  const entry: Expected = { tenant, token: tokenKind, namespace, name, versions: [] };
  for (const value of values) {
    const path = `/v2/secrets/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
    const base64 = Buffer.from(value).toString('base64');
    const answer = await call(i++, 'PUT', path, token, { value: base64, encoding: 'base64' });
    entry.versions.push({ version: Number(answer.version), base64 });
  }
  expected.push(entry);
}

const text = (value: string) => new Uint8Array(Buffer.from(value, 'utf8'));
await put(0, root, 'root', 'default', 'app', 'db-password', [
  text('v1-pass'),
  text('v2-pass'),
  text('v3-pass'),
]);
await put(1, root, 'root', 'default', 'app', 'binary', [new Uint8Array(randomBytes(64))]);
await put(2, root, 'root', 'default', 'ünï', 'ключ/with/slashes', [text('héllo wörld ✓')]);
// Deleted and re-created: versions restart at 1 (DESIGN §5).
await put(0, root, 'root', 'default', 'app', 'recreated', [text('old')]);
await call(1, 'DELETE', '/v2/secrets/app/recreated', root);
expected.pop();
await put(2, root, 'root', 'default', 'app', 'recreated', [text('new')]);
await call(0, 'POST', '/v2/sys/tenants', root, { name: 'acme' });
await call(1, 'PUT', '/v2/sys/policies/app-rw?tenant=acme', root, {
  rules: [{ path: 'app/*', capabilities: ['read', 'create', 'update', 'history', 'list'] }],
});
const tenantToken = String(
  (await call(2, 'POST', '/v2/sys/tokens', root, { tenant: 'acme', policies: ['app-rw'] })).token,
);
await put(0, tenantToken, 'tenant', 'acme', 'app', 'api-key', [text('acme-1'), text('acme-2')]);
await call(1, 'POST', '/v2/sys/holds', root, {
  namespace: 'app',
  name: 'db-password',
  reason: 'fixture hold',
});

writeFileSync(
  join(out, 'expected.json'),
  `${JSON.stringify({ release: process.env.DSV_RELEASE ?? 'unknown', root, tenantToken, secrets: expected, held: { tenant: 'default', namespace: 'app', name: 'db-password' } }, null, 2)}\n`,
);
await test.stop({ keepData: true });
console.log(`fixture written to ${out}`);
