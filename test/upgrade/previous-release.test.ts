// Upgrades never lose data (issue #13): every data dir kept under test/fixtures/upgrade/ was written by an
// earlier release (test/upgrade/README.md). This build opens it, migrates it, and reads every secret and every
// version back, with the tokens, policies and holds it held; a write still works and survives a restart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

interface Expected {
  release: string;
  root: string;
  tenantToken: string;
  secrets: Array<{
    tenant: string;
    token: 'root' | 'tenant';
    namespace: string;
    name: string;
    versions: Array<{ version: number; base64: string }>;
  }>;
  held: { namespace: string; name: string };
}

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'upgrade');

async function call(url: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

async function readsEverything(test: TestCluster, expected: Expected): Promise<void> {
  for (const [i, secret] of expected.secrets.entries()) {
    const token = secret.token === 'root' ? expected.root : expected.tenantToken;
    const path = `/v2/secrets/${encodeURIComponent(secret.namespace)}/${encodeURIComponent(secret.name)}`;
    for (const { version, base64 } of secret.versions) {
      const url = test.urls[(i + version) % test.urls.length] ?? '';
      const read = await call(url, 'GET', `${path}?version=${version}`, token);
      assert.equal(
        read.status,
        200,
        `${secret.namespace}/${secret.name} v${version}: ${JSON.stringify(read.json)}`,
      );
      const bytes = Buffer.from(String(read.json.value), read.json.encoding === 'base64' ? 'base64' : 'utf8');
      assert.equal(bytes.toString('base64'), base64, `${secret.namespace}/${secret.name} v${version}`);
    }
  }
}

for (const archive of readdirSync(FIXTURES).filter((file) => file.endsWith('.tar.gz'))) {
  describe(`a data dir written by release ${archive.replace('.tar.gz', '')}`, () => {
    it('opens, migrates, reads every version back, keeps tokens and holds, and takes new writes', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dsv-upgrade-'));
      execFileSync('tar', ['xzf', join(FIXTURES, archive), '-C', dir]);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
      const dataDir = join(dir, 'data');
      let test = await startTestCluster({ nodes: 3, dataDir, devMode: false });
      try {
        await readsEverything(test, expected);
        const url = test.urls[0] ?? '';
        // The hold placed by the old release still refuses the delete (I-C2b).
        const held = `/v2/secrets/${expected.held.namespace}/${expected.held.name}`;
        const refused = await call(url, 'DELETE', held, expected.root);
        assert.deepEqual([refused.status, refused.json.code], [409, 'DSV_RETENTION_HOLD']);
        // The tenant token still works, and only for its own tenant.
        const write = await call(url, 'PUT', '/v2/secrets/app/after-upgrade', expected.tenantToken, {
          value: 'new',
        });
        assert.equal(write.status, 201, JSON.stringify(write.json));
        const other = await call(url, 'GET', '/v2/secrets/app/db-password', expected.tenantToken);
        assert.equal(other.status, 404);
        await test.stop({ keepData: true });
        // A second start on the migrated dir: nothing to migrate again, everything still there.
        test = await startTestCluster({ nodes: 3, dataDir, devMode: false });
        await readsEverything(test, expected);
        const again = await call(
          test.urls[1] ?? '',
          'GET',
          '/v2/secrets/app/after-upgrade',
          expected.tenantToken,
        );
        assert.equal(again.json.value, 'new');
      } finally {
        await test.stop();
      }
    });
  });
}
