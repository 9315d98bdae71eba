// Liveness, readiness and metrics (issue 11): /livez stays 200 while the process serves; /readyz answers
// 503 with the failing checks (log, peers, …) and 200 when all is well; /metrics speaks Prometheus text with
// the named metrics and never a secret name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import type { AuditSink } from '../../src/audit/index.ts';
import { DsvError } from '../../src/errors/index.ts';
import { runCli } from '../testing/cli-harness.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

interface ReadyBody {
  ready: boolean;
  reasons: string[];
  checks: Record<string, { ok: boolean; detail: string }>;
}

async function readyz(url: string): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

const SECRET_NAME = 'payroll-db-password-7f3e';
const NAMESPACE = 'hr-secret-ns-91ab';

describe('/livez, /readyz and /metrics', () => {
  let test: TestCluster;
  before(async () => {
    test = await startTestCluster();
  });
  after(async () => {
    await test.stop();
  });

  it('/readyz is 200 with every check passing, /livez 200, no authentication needed', async () => {
    await waitFor(async () => (await readyz(test.urls[0]!)).status === 200, 10_000);
    const { status, body } = await readyz(test.urls[0]!);
    assert.equal(status, 200);
    assert.equal(body.ready, true);
    assert.deepEqual(body.reasons, []);
    assert.deepEqual(Object.keys(body.checks).sort(), ['audit', 'disk', 'kek', 'log', 'log-lag', 'peers']);
    for (const url of test.urls) assert.equal((await fetch(`${url}/livez`)).status, 200);
  });

  it('/metrics exposes the named metrics after some traffic and no secret name', async () => {
    const base = test.urls[0]!;
    const user = 'metrics-user';
    const created = await fetch(`${base}/api/v1/secrets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secretName: `${NAMESPACE}/${SECRET_NAME}`, secretValue: 'v1', user }),
    });
    assert.equal(created.status, 201);
    const read = await fetch(
      `${base}/api/v1/secrets/${encodeURIComponent(`${NAMESPACE}/${SECRET_NAME}`)}?user=${user}`,
    );
    assert.equal(read.status, 200);
    assert.equal(await read.text(), 'v1');
    const missing = await fetch(`${base}/api/v1/secrets/${SECRET_NAME}-missing?user=${user}`);
    assert.equal(missing.status, 404);

    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    for (const name of [
      'dsv_http_requests_total',
      'dsv_http_request_duration_seconds',
      'dsv_log_append_duration_seconds',
      'dsv_log_applied_offset',
      'dsv_log_lag_records',
      'dsv_shard_call_duration_seconds',
      'dsv_audit_append_duration_seconds',
      'dsv_audit_queue_depth',
      'dsv_share_recoveries_total',
      'dsv_anti_entropy_passes_total',
      'dsv_log_records_refused',
      'dsv_versions',
      'dsv_data_keys',
    ])
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `missing ${name}`);
    assert.match(text, /^dsv_http_requests_total\{[^}]*status="201"[^}]*\} 1$/m);
    assert.match(text, /^dsv_http_requests_total\{[^}]*status="404"[^}]*\} 1$/m);
    assert.match(text, /^dsv_shard_call_duration_seconds_count\{[^}]*peer="node-1"[^}]*operation="stage"/m);
    assert.match(text, /^dsv_shard_call_duration_seconds_count\{[^}]*operation="read"/m);
    assert.match(text, /^dsv_log_applied_offset\{partition="0",node="node-0"\} \d+$/m);
    assert.match(text, /^dsv_log_append_duration_seconds_count\{[^}]*outcome="ok"[^}]*\} [1-9]/m);
    assert.match(text, /^dsv_audit_append_duration_seconds_count\{[^}]*\} [1-9]/m);
    assert.match(text, /^dsv_log_lag_records\{partition="0",node="node-0"\} \d+$/m);
    // Computed periodically (every 15 s, and at start), not per scrape: present, whatever the count.
    assert.match(text, /^dsv_data_keys\{node="node-0"\} \d+$/m);
    assert.match(text, /^dsv_versions\{redundancy="full",node="node-0"\} \d+$/m);
    assert.match(text, /^dsv_versions\{redundancy="degraded",node="node-0"\} \d+$/m);
    // Every metric the Grafana dashboard queries exists.
    const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const used = new Set(dashboard.match(/dsv_[a-z_]+/g) ?? []);
    assert.ok(used.size >= 10);
    for (const metric of used) {
      const base = metric.replace(/_(bucket|count|sum)$/, '');
      assert.match(text, new RegExp(`^# TYPE ${base} `, 'm'), `the dashboard uses ${metric}`);
    }
    assert.doesNotMatch(text, new RegExp(SECRET_NAME));
    assert.doesNotMatch(text, new RegExp(NAMESPACE));
    assert.doesNotMatch(text, new RegExp(user));
  });

  it('key usage per DEK: shards per tenant and key id add up to the shards held, a rotated key appears', async () => {
    const base = test.urls[0]!;
    const node = test.cluster.nodesById.get('node-0')!;
    const root = await test.cluster.issueDevRootToken();
    // Counted straight from the node's database, independently of the metric's own query.
    const heldShards = () => {
      const db = new DatabaseSync(join(test.dataDir, 'node-0', 'node.sqlite'), { readOnly: true });
      try {
        return Number((db.prepare('SELECT COUNT(*) AS c FROM shards').get() as { c: number }).c);
      } finally {
        db.close();
      }
    };
    const scrape = async () => {
      node.refreshMetrics(); // the 15 s refresh, now
      const text = await (await fetch(`${base}/metrics`)).text();
      const series = (name: string) =>
        [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)$`, 'gm'))].map((match) => {
          const labels: Record<string, string | undefined> = Object.fromEntries(
            [...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]),
          );
          return { keyId: labels.key_id, node: labels.node, value: Number(match[2]) };
        });
      return { text, shards: series('dsv_data_key_shards'), active: series('dsv_data_key_active') };
    };
    const activeKey = async () => {
      const status = (await (
        await fetch(`${base}/api/admin/keys/status`, { headers: { authorization: `Bearer ${root}` } })
      ).json()) as { tenants: Array<{ tenant: string; activeKeyId: number | null }> };
      return status.tenants.find((tenant) => tenant.tenant === 'default')?.activeKeyId;
    };

    for (let i = 0; i < 4; i++)
      assert.equal((await v1.create(base, 'metrics-user', `${NAMESPACE}/before-${i}`, `b${i}`)).status, 201);
    const oldKey = await activeKey();
    assert.ok(oldKey !== null && oldKey !== undefined);
    const first = await scrape();
    assert.match(first.text, /^# TYPE dsv_data_key_shards gauge$/m);
    assert.match(first.text, /^# TYPE dsv_data_key_active gauge$/m);
    assert.deepEqual(
      first.active.map((row) => row.keyId),
      [String(oldKey)],
    );

    const rotated = await fetch(`${base}/api/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${root}` },
    });
    assert.equal(rotated.status, 200);
    const newKey = await activeKey();
    assert.ok(newKey !== null && newKey !== undefined && newKey !== oldKey);
    for (let i = 0; i < 3; i++)
      assert.equal((await v1.create(base, 'metrics-user', `${NAMESPACE}/after-${i}`, `a${i}`)).status, 201);

    // Shards may still arrive (a holder promotes after the answer) or move keys (the rewrap): wait for a
    // refresh that agrees with the database, then check it in detail.
    let last: Awaited<ReturnType<typeof scrape>> | undefined;
    let held = -1;
    await waitFor(async () => {
      held = heldShards();
      last = await scrape();
      return last.shards.reduce((sum, row) => sum + row.value, 0) === held && held >= 8;
    }, 10_000);
    const { shards, active, text } = last!;
    assert.equal(
      shards.reduce((sum, row) => sum + row.value, 0),
      held,
      'the shards per DEK add up to the shards node-0 holds',
    );
    for (const row of [...shards, ...active]) {
      assert.equal(row.node, 'node-0');
      assert.match(row.keyId ?? '', /^(\d+|none)$/);
    }
    const defaultKeys = shards; // one tenant here: `default`
    const onNewKey = defaultKeys.find((row) => row.keyId === String(newKey));
    assert.ok(
      onNewKey && onNewKey.value >= 3,
      `the rotated-in key ${newKey} seals the writes after rotation`,
    );
    assert.deepEqual(active, [{ keyId: String(newKey), node: 'node-0', value: 1 }]);
    // The old key is still listed until the rewrap has moved its shards; once it has, it leaves the series.
    await waitFor(async () => {
      await node.rewrapNow();
      const after = await scrape();
      const keys = after.shards;
      return keys.length === 1 && keys[0]!.keyId === String(newKey) && keys[0]!.value === heldShards();
    }, 10_000);
    assert.doesNotMatch(text, new RegExp(SECRET_NAME));
    assert.doesNotMatch(text, new RegExp(NAMESPACE));
    assert.doesNotMatch(text, /metrics-user/);
    // /metrics answers without a token: it names no tenant (`dsv keys status` maps key ids to tenants).
    assert.doesNotMatch(text, /tenant="/);
  });

  it('two of three nodes stopped: /readyz is 503 naming peers, /livez stays 200', async () => {
    await test.cluster.stopNode('node-1');
    await test.cluster.stopNode('node-2');
    try {
      await waitFor(async () => (await readyz(test.urls[0]!)).status === 503, 10_000);
      const { body } = await readyz(test.urls[0]!);
      assert.equal(body.ready, false);
      assert.deepEqual(body.reasons, ['peers']);
      assert.equal(body.checks.peers?.ok, false);
      assert.equal((await fetch(`${test.urls[0]}/livez`)).status, 200);
      // dsv status shows the same: this node's readiness with its reasons.
      await waitFor(async () => {
        const nodes = (await (await fetch(`${test.urls[0]}/api/v1/cluster/nodes`)).json()) as {
          ready: { reasons: string[] } | null;
        };
        return nodes.ready?.reasons.includes('peers') === true;
      }, 10_000);
      const status = await runCli(['status', '--url', test.urls[0]!]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /READINESS/);
      assert.match(status.stdout, /^node-0\s+self\s+NOT READY \(peers\)/m);
    } finally {
      await test.cluster.startNode('node-1');
      await test.cluster.startNode('node-2');
    }
    await waitFor(async () => (await readyz(test.urls[0]!)).status === 200, 10_000);
    // Every node's readiness travels in its health answer, so node-0's status shows its peers ready too.
    await waitFor(async () => {
      const status = await runCli(['status', '--url', test.urls[0]!, '--json']);
      const body = JSON.parse(status.stdout) as {
        node: { ready: { ready: boolean } | null; peers: Array<{ ready: { ready: boolean } | null }> };
      };
      return body.node.ready?.ready === true && body.node.peers.every((peer) => peer.ready?.ready === true);
    }, 15_000);
  });

  it('the commit log closed under the nodes: /readyz is 503 naming log, /livez stays 200', async () => {
    await test.cluster.commitLog.close();
    const { status, body } = await readyz(test.urls[0]!);
    assert.equal(status, 503);
    assert.equal(body.ready, false);
    assert.ok(body.reasons.includes('log'), JSON.stringify(body));
    assert.equal(body.checks.log?.ok, false);
    assert.equal((await fetch(`${test.urls[0]}/livez`)).status, 200);
  });
});

describe('/readyz: audit trail and disk space', () => {
  let test: TestCluster;
  let failing = false;
  before(async () => {
    test = await startTestCluster({
      // No file system has this much free space: the disk check must fail.
      limits: { minFreeDiskBytes: Number.MAX_SAFE_INTEGER },
      wrapAuditSink: (sink: AuditSink): AuditSink => ({
        append: async (input) => {
          if (failing) throw new DsvError('DSV_AUDIT_UNAVAILABLE', 'audit disk failing (test)');
          return sink.append(input);
        },
        close: () => sink.close(),
      }),
    });
  });
  after(async () => {
    await test.stop();
  });

  it('names disk when the data dir has too little free space, and audit once the trail fails', async () => {
    const first = await readyz(test.urls[0]!);
    assert.equal(first.status, 503);
    assert.deepEqual(first.body.reasons, ['disk']);
    failing = true;
    await fetch(`${test.urls[0]}/api/v1/cluster/status`); // its audit record fails
    // A non-secret response may go out before its record is appended: wait for the append to fail.
    await waitFor(async () => (await readyz(test.urls[0]!)).body.reasons.includes('audit'), 5000);
    const second = await readyz(test.urls[0]!);
    assert.equal(second.status, 503);
    assert.deepEqual(second.body.reasons, ['audit', 'disk']);
    // Readiness and metrics carry no secret: they still answer while the trail refuses records.
    assert.equal((await fetch(`${test.urls[0]}/metrics`)).status, 200);
    failing = false;
    await fetch(`${test.urls[0]}/api/v1/cluster/status`); // the trail takes records again
    await waitFor(async () => !(await readyz(test.urls[0]!)).body.reasons.includes('audit'), 5000);
    assert.deepEqual((await readyz(test.urls[0]!)).body.reasons, ['disk']);
    assert.equal((await fetch(`${test.urls[0]}/livez`)).status, 200);
  });
});
