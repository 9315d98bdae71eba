// Key rotation under load and crypto-shred on a real 3-node cluster (DESIGN §8, issue acceptance).
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DsvNode } from '../../src/node/dsv-node.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface KeyStatus {
  tenants: Array<{
    tenant: string;
    activeKeyId: number | null;
    rewrapPercent: number;
    keys: Array<{ id: number; state: string }>;
  }>;
}
/** Administration needs a root token, in dev mode too. */
let rootToken = '';
const asRoot = (init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { authorization: `Bearer ${rootToken}` },
});
const keyStatus = async (url: string) =>
  (await (await fetch(`${url}/api/admin/keys/status`, asRoot())).json()) as KeyStatus;
const nodes = (test: TestCluster): DsvNode[] => [...test.cluster.nodesById.values()];

describe('key rotation under load', () => {
  let test: TestCluster;
  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    rootToken = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('rotate completes while clients read and write; rewrap reaches 100 % and the old DEK is destroyed', async () => {
    const urls = test.urls;
    for (let i = 0; i < 30; i++)
      assert.equal((await v1.create(urls[i % 3] ?? '', 'rot', `k${i}`, `v${i}-0`)).status, 201);
    const before = await keyStatus(urls[0] ?? '');
    const oldKey = before.tenants.find((t) => t.tenant === 'default')?.activeKeyId;
    assert.ok(oldKey);

    let stop = false;
    const failures: string[] = [];
    let operations = 0;
    const client = async (id: number) => {
      for (let round = 1; !stop; round++) {
        const name = `k${(id * 7 + round) % 30}`;
        const url = urls[(id + round) % 3] ?? '';
        const write = await v1.update(url, 'rot', name, `v-${id}-${round}`);
        if (write.status !== 200 && write.status !== 409)
          failures.push(`update ${write.status} ${write.body}`);
        const read = await v1.read(urls[(id + round + 1) % 3] ?? '', 'rot', name);
        if (read.status !== 200) failures.push(`read ${read.status} ${read.body}`);
        operations += 2;
      }
    };
    const clients = Array.from({ length: 6 }, (_, id) => client(id));
    await waitFor(() => operations >= 30, 30_000, 20); // traffic before the rotation…
    const rotated = await fetch(`${urls[1]}/api/admin/keys/rotate`, asRoot({ method: 'POST' }));
    assert.equal(rotated.status, 200);
    const afterRotation = operations;
    await waitFor(() => operations >= afterRotation + 30, 30_000, 20); // …and after it
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(failures, [], `no request may fail because of the rotation (${operations} operations)`);
    assert.ok(operations > 50);

    // Every node switched to a new DEK; the background rewrap (driven here) reaches 100 %.
    await waitFor(async () => {
      await Promise.all(nodes(test).map((node) => node.rewrapNow()));
      const all = await Promise.all(urls.map(keyStatus));
      return all.every((status) => {
        const tenant = status.tenants.find((t) => t.tenant === 'default');
        return tenant !== undefined && tenant.activeKeyId !== oldKey && tenant.rewrapPercent === 100;
      });
    }, 20_000);
    for (const url of urls) {
      const tenant = (await keyStatus(url)).tenants.find((t) => t.tenant === 'default');
      assert.ok(
        tenant?.keys.filter((key) => key.state !== 'active').every((key) => key.state === 'destroyed'),
      );
    }
    // Every value still reads back, from every node.
    for (let i = 0; i < 30; i += 7) {
      for (const url of urls) assert.equal((await v1.read(url, 'rot', `k${i}`)).status, 200);
    }
  });
});

describe('crypto-shred', () => {
  let test: TestCluster;
  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    rootToken = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  const coordinator = (i: number) => {
    const found = nodes(test)[i]?.coordinator;
    assert.ok(found);
    return found;
  };
  const key = (name: string) => ({ tenant: 'acme', namespace: 'app', name });
  // The dev-mode anonymous caller, as the v1 API would pass it (holders and endorsers accept it in dev mode).
  const caller = {
    tenant: 'acme',
    accessor: 'anonymous-dev',
    root: false,
    can: () => true,
    credentialFor: () => ({ kind: 'anonymous' as const }),
  };

  it('destroys the tenant on every node — even one that was down, and even from an old copy of a data dir', async () => {
    for (let i = 0; i < 5; i++) {
      await coordinator(i % 3).write(
        'acme',
        {
          op: 'create',
          namespace: 'app',
          name: `s${i}`,
          value: encoder.encode(`acme-${i}`),
        },
        { caller },
      );
    }
    assert.equal((await v1.create(test.urls[0] ?? '', 'other', 'survivor', 'kept')).status, 201);
    assert.equal(
      decoder.decode((await coordinator(2).read(key('s1'), { latest: true }, caller)).value),
      'acme-1',
    );

    // node-2 goes down with a copy of its data taken first (an old backup).
    const node2 = test.cluster.nodesById.get('node-2');
    assert.ok(node2);
    await test.cluster.stopNode('node-2');
    const backup = join(test.dataDir, 'node-2-backup');
    cpSync(node2.config.dataDir, backup, { recursive: true });

    const response = await fetch(`${test.urls[0]}/api/admin/tenants/acme/shred`, asRoot({ method: 'POST' }));
    assert.equal(response.status, 200);

    for (const i of [0, 1]) {
      await assert.rejects(coordinator(i).read(key('s1'), { latest: true }, caller), {
        code: 'DSV_TENANT_SHREDDED',
      });
      const context = coordinator(i).context;
      assert.equal(context.shards.keyUsage().filter((usage) => usage.tenant === 'acme').length, 0);
    }
    // The down node shreds when it replays the log; so does a node restored from the old backup.
    await test.cluster.startNode('node-2');
    await assert.rejects(coordinator(2).read(key('s1'), { latest: true }, caller), {
      code: 'DSV_TENANT_SHREDDED',
    });
    await test.cluster.stopNode('node-2');
    rmSync(node2.config.dataDir, { recursive: true, force: true });
    cpSync(backup, node2.config.dataDir, { recursive: true });
    await test.cluster.startNode('node-2');
    await assert.rejects(coordinator(2).read(key('s2'), { latest: true }, caller), {
      code: 'DSV_TENANT_SHREDDED',
    });

    for (const node of nodes(test)) {
      const db = node.coordinator?.context.view.db;
      assert.ok(db);
      const deks = db
        .prepare(`SELECT state, length(wrapped) AS bytes FROM keys_deks WHERE tenant = 'acme'`)
        .all();
      assert.ok(deks.length > 0);
      assert.ok(
        deks.every((row) => row.state === 'destroyed' && row.bytes === 0),
        `${node.config.nodeId} keeps a DEK`,
      );
      const shardRows = db.prepare(`SELECT COUNT(*) AS c FROM shards WHERE tenant = 'acme'`).get();
      assert.equal(shardRows?.c, 0);
    }
    // New writes for the tenant are refused with the same stable error; other tenants are untouched.
    await assert.rejects(
      coordinator(1).write(
        'acme',
        {
          op: 'create',
          namespace: 'app',
          name: 'again',
          value: encoder.encode('x'),
        },
        { caller },
      ),
      { code: 'DSV_TENANT_SHREDDED' },
    );
    const survivor = await v1.read(test.urls[2] ?? '', 'other', 'survivor');
    assert.deepEqual([survivor.status, survivor.body], [200, 'kept']);
  });
});
