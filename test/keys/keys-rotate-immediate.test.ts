// `dsv keys rotate` takes effect when it says so (issue 11): once the rotate call has returned, every node
// has made the tenant's new DEK — `keys status` shows it active and the old one retired on every node, with
// no write in between — and the background rewrap moves the shards to it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';

interface KeyStatus {
  nodeId: string;
  tenants: Array<{
    tenant: string;
    activeKeyId: number | null;
    rewrapPercent: number;
    keys: Array<{ id: number; state: string; shards: number }>;
  }>;
}

describe('keys rotate takes effect when it returns', () => {
  let test: TestCluster;
  let root = '';
  const asRoot = (init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { authorization: `Bearer ${root}` },
  });
  const defaultTenant = async (url: string) => {
    const status = (await (await fetch(`${url}/api/admin/keys/status`, asRoot())).json()) as KeyStatus;
    const tenant = status.tenants.find((t) => t.tenant === 'default');
    assert.ok(tenant, `${status.nodeId} reports the default tenant`);
    return tenant;
  };

  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('after rotate returns, keys status on every node shows a new active DEK and the old one retired, before any write', async () => {
    const urls = test.urls;
    for (let i = 0; i < 6; i++)
      assert.equal((await v1.create(urls[i % 3] ?? '', 'rot', `k${i}`, `v${i}`)).status, 201);
    const before = await Promise.all(urls.map(defaultTenant));
    for (let round = 1; round <= 2; round++) {
      const previous = round === 1 ? before : await Promise.all(urls.map(defaultTenant));
      const rotated = await fetch(`${urls[round % 3]}/api/admin/keys/rotate`, asRoot({ method: 'POST' }));
      assert.equal(rotated.status, 200);
      const now = await Promise.all(urls.map(defaultTenant));
      for (const [i, tenant] of now.entries()) {
        const old = previous[i]?.activeKeyId;
        assert.ok(old !== null && old !== undefined);
        assert.notEqual(tenant.activeKeyId, old, `node-${i}: a new active DEK right after round ${round}`);
        // Retired, or already destroyed if the background rewrap has moved every shard off it.
        assert.match(tenant.keys.find((key) => key.id === old)?.state ?? 'gone', /^(retired|destroyed)$/);
      }
    }
    // Without any write, the rewrap (driven here) moves every shard to the new DEK and destroys the old ones.
    await Promise.all([...test.cluster.nodesById.values()].map((node) => node.rewrapNow()));
    for (const tenant of await Promise.all(urls.map(defaultTenant))) {
      assert.equal(tenant.rewrapPercent, 100);
      assert.deepEqual(
        tenant.keys.filter((key) => key.state !== 'destroyed').map((key) => key.id),
        [tenant.activeKeyId],
      );
    }
    for (const url of urls) assert.equal((await v1.read(url, 'rot', 'k0')).body, 'v0');
  });
});
