// Proactive share refresh on real processes and a real broker (issue #9; I-R1): a node SIGKILLed in the
// middle of a refresh — the refresher after every participant staged, or a participant right after it
// staged — loses nothing. The refresh never commits, the staged generation is discarded everywhere (also on
// the killed node once it replays), the value reads back, and `dsv keys refresh-shares` run again succeeds.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { nodeConfigFile } from '../../src/node/server/index.ts';
import { FAULT_POINTS_ENV } from '../../src/platform/fault-points.ts';
import { runDsv } from '../testing/dsv-process.ts';
import { startMultiProcessCluster, type MultiProcessCluster } from '../testing/multi-process-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

const USER = 'refresh-crash'; // v1 in dev mode: the default tenant, the user as namespace
const TIMEOUT_MS = 4_000;
const everyNode = [0, 1, 2];

describe('a node killed in the middle of a share refresh loses nothing', { timeout: 420_000 }, () => {
  let cluster: MultiProcessCluster;
  let root = '';
  const url = (i: number): string => cluster.urls[i] ?? '';

  /** Node i's shard rows of one secret with their generation (read-only, never the sealed bytes). */
  const rows = (i: number, name: string): string[] => {
    const db = new DatabaseSync(join(cluster.dataDir(i), 'node.sqlite'), { readOnly: true });
    try {
      return db
        .prepare('SELECT generation, state FROM shards WHERE namespace = ? AND name = ? ORDER BY generation')
        .all(USER, name)
        .map((row) => `${String(row.generation)}:${String(row.state)}`);
    } finally {
      db.close();
    }
  };

  /** `dsv keys refresh-shares …` against node i with the root token. */
  const refreshShares = async (i: number, ...args: string[]) => {
    const cli = runDsv(['keys', 'refresh-shares', '--url', url(i), ...args], { DSV_TOKEN: root });
    const code = await cli.exited;
    return { code, output: cli.output() };
  };

  const readsBack = async (value: string, nodes: readonly number[]) => {
    for (const i of nodes) {
      const read = await v1.read(url(i), USER, 'db/password');
      assert.deepEqual([read.status, read.body], [200, value], `read through node-${i}`);
    }
  };

  before(async () => {
    const started = Date.now();
    cluster = await startMultiProcessCluster({
      configure: (config) => ({
        ...config,
        timeouts: { pendingWriteMs: TIMEOUT_MS },
        membership: { intervalMs: 500, suspectAfterMs: 1_500, failedAfterMs: 3_000 },
        // Short log-time timeout so an orphaned refresh aborts within seconds; no minimum interval, so the
        // same version is refreshed again in this test; a long grace (no collection under the test's feet).
        shareRefresh: { timeoutMs: TIMEOUT_MS, minIntervalMs: 0, graceMs: 600_000, maxStartsPerSecond: 50 },
      }),
    });
    // The operator's root token (README): administration needs one, in dev mode too.
    const clusterDir = dirname(dirname(resolve(cluster.dataDir(0))));
    const issued = runDsv(['cluster', 'root-token', '--config', nodeConfigFile(clusterDir, 0), '--json']);
    assert.equal(await issued.exited, 0, issued.output());
    const line = issued
      .output()
      .split('\n')
      .find((text) => text.trim().startsWith('{'));
    root = (JSON.parse(line ?? '{}') as { token?: string }).token ?? '';
    assert.ok(root, issued.output());
    console.log(`cluster up in ${Date.now() - started} ms`);
  });

  after(async () => {
    await cluster?.stopAll();
  });

  it('I-R1: the refresher killed after every participant staged: the refresh times out, a new one succeeds', async () => {
    const value = 'survives-a-dead-refresher';
    assert.equal((await v1.create(url(1), USER, 'db/password', value)).status, 201);
    await cluster.stop(0);
    await cluster.start(0, { [FAULT_POINTS_ENV]: 'refresh-before-commit' });

    const run = await refreshShares(0, '--tenant', 'default');
    await cluster.awaitExit(0, 30_000);
    assert.notEqual(run.code, 0, `the run cannot finish without its node:\n${run.output}`);
    const atCrash = everyNode.map((i) => rows(i, 'db/password'));
    console.log(`shard rows when the refresher died: ${JSON.stringify(atCrash)}`);
    for (const [i, states] of atCrash.entries())
      assert.deepEqual(states, ['0:committed', '1:staged'], `node-${i} staged generation 1 beside 0`);
    await readsBack(value, [1, 2]);

    // The survivors abort it in log time (the sweeper's ticks) and discard their staged generation.
    await waitFor(() => [1, 2].every((i) => rows(i, 'db/password').length === 1), 60_000, 200);
    await readsBack(value, [1, 2]);
    await cluster.start(0); // without the fault point
    await cluster.awaitCaughtUp(0, 60_000);
    await waitFor(() => rows(0, 'db/password').length === 1, 30_000, 200);
    assert.deepEqual(rows(0, 'db/password'), ['0:committed'], 'the restarted refresher replayed the abort');
    await readsBack(value, everyNode);

    const again = await refreshShares(0, '--tenant', 'default');
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /1\/1 versions at generation ≥ 1/);
    for (const i of everyNode) assert.deepEqual(rows(i, 'db/password'), ['0:committed', '1:committed']);
    await readsBack(value, everyNode);
  });

  it('I-R1: a participant killed right after it staged: the refresh aborts, the rerun resumes and succeeds', async () => {
    const value = 'survives-a-dead-participant';
    assert.equal((await v1.update(url(0), USER, 'db/password', value)).status, 200);
    const status = await refreshShares(1, '--status', '--tenant', 'default');
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /generation 0: 1, generation 1: 1/, 'v2 at 0, v1 at 1');
    await cluster.stop(2);
    await cluster.start(2, { [FAULT_POINTS_ENV]: 'refresh-after-stage' });

    const run = await refreshShares(0, '--tenant', 'default');
    await cluster.awaitExit(2, 30_000);
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /1 of 2 versions were not refreshed/);
    await readsBack(value, [0, 1]);
    await waitFor(
      () => [0, 1].every((i) => !rows(i, 'db/password').some((row) => row.endsWith('staged'))),
      30_000,
      200,
    );

    await cluster.start(2);
    await cluster.awaitCaughtUp(2, 60_000);
    await waitFor(() => !rows(2, 'db/password').some((row) => row.endsWith('staged')), 30_000, 200);
    await readsBack(value, everyNode);

    const again = await refreshShares(2, '--tenant', 'default');
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /2\/2 versions at generation ≥ 1/);
    const after = await refreshShares(0, '--status', '--tenant', 'default', '--json');
    const [tenant] = JSON.parse(after.output.trim().split('\n').pop() ?? '[]') as Array<{
      generations: Record<string, number>;
    }>;
    assert.deepEqual(tenant?.generations, { '1': 2 }, after.output);
    await readsBack(value, everyNode);
  });
});
