// Real processes on a real broker, one fault at a time (DESIGN §5, §6, §11, I-S3): a broker restart (503 in the
// ordering phase, nothing published, recovery without restarting nodes), a coordinator killed between
// prepare and commit (its staged shards aborted by timeout and removed), and a node down during a delete
// (it destroys its shards when it replays the log; nothing is resurrected).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAULT_POINTS_ENV } from '../../src/platform/fault-points.ts';
import { startMultiProcessCluster, type MultiProcessCluster } from '../testing/multi-process-cluster.ts';
import { v1, type V1Response } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

const PENDING_WRITE_MS = 4_000;

const answer = (response: V1Response): string => `${response.status} ${response.code ?? ''}`.trimEnd();

describe('single faults on 3 dsv server processes and 1 Kafka broker', { timeout: 300_000 }, () => {
  let cluster: MultiProcessCluster;
  const url = (i: number): string => cluster.urls[i] ?? '';
  const everyNode = [0, 1, 2];

  before(async () => {
    const started = Date.now();
    cluster = await startMultiProcessCluster({
      configure: (config) => ({
        ...config,
        // Short, so an orphaned pending write is aborted within seconds (log time, DESIGN §5).
        timeouts: { pendingWriteMs: PENDING_WRITE_MS },
        membership: { intervalMs: 500, suspectAfterMs: 1_500, failedAfterMs: 3_000 },
        antiEntropyIntervalMs: 3_000,
      }),
    });
    console.log(`cluster up in ${Date.now() - started} ms`);
  });

  after(async () => {
    await cluster?.stopAll();
  });

  it('DESIGN §6.2: with the broker down writes are 503 and publish nothing; they recover without restarting nodes', async () => {
    const user = 'broker';
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      assert.equal(answer(await v1.create(url(i), user, name, `before-${name}`)), '201');
    }
    const pids = everyNode.map((i) => cluster.pid(i));

    await cluster.kafka.stopBroker(0);
    const outageBegan = Date.now();
    const attempts = await Promise.all(
      everyNode.map(async (i) => {
        const [create, update] = await Promise.all([
          v1.create(url(i), user, `during-${i}`, `outage-create-${i}`),
          v1.update(url(i), user, 'a', `outage-update-${i}`),
        ]);
        return { create, update };
      }),
    );
    const outageAnswers = attempts.flatMap(({ create, update }) => [answer(create), answer(update)]);
    console.log(`broker down: ${outageAnswers.join(', ')} in ${Date.now() - outageBegan} ms`);
    assert.deepEqual([...new Set(outageAnswers)], ['503 DSV_LOG_UNAVAILABLE'], 'ordering-phase failure');

    const restartBegan = Date.now();
    await cluster.kafka.start(0);
    const brokerUp = Date.now() - restartBegan;
    // Every node recovers on its own: its producer and readers reconnect (no node restart).
    const tries = [0, 0, 0];
    await Promise.all(
      everyNode.map((i) =>
        waitFor(
          async () => {
            tries[i] = (tries[i] ?? 0) + 1;
            return (await v1.create(url(i), user, `after-${i}-${tries[i]}`, 'after')).status === 201;
          },
          120_000,
          250,
        ),
      ),
    );
    console.log(
      `broker back in ${brokerUp} ms; first successful write per node after ${tries.join('/')} tries, ` +
        `${Date.now() - restartBegan} ms after the restart began`,
    );
    assert.deepEqual(
      everyNode.map((i) => cluster.pid(i)),
      pids,
      'no node was restarted',
    );
    for (const i of everyNode) {
      for (const name of ['a', 'b', 'c']) {
        const read = await v1.read(url(i), user, name);
        assert.deepEqual([read.status, read.body], [200, `before-${name}`], `${name} on node-${i}`);
        assert.equal((await v1.readAll(url(i), user, name)).body, JSON.stringify({ 1: `before-${name}` }));
      }
      for (const j of everyNode) {
        const read = await v1.read(url(i), user, `during-${j}`);
        assert.equal(
          answer(read),
          '404 DSV_SECRET_NOT_FOUND',
          `a write refused during the outage was published`,
        );
      }
    }
  });

  it('I-S3: a coordinator SIGKILLed between prepare and commit leaves no staged shard; the key stays free', async () => {
    const user = 'crash';
    const name = 'half/written';
    await cluster.stop(0);
    await cluster.start(0, { [FAULT_POINTS_ENV]: 'after-stage' });
    const sent = await v1.create(url(0), user, name, 'never-committed').then(
      (response) => answer(response),
      (error: unknown) => `no answer (${(error as Error).message})`,
    );
    const died = await cluster.awaitExit(0, 15_000).then(
      () => true,
      () => false,
    );
    assert.ok(died, `node-0 did not die at the fault point; the create answered ${sent}\n${cluster.logs(0)}`);
    assert.match(sent, /^no answer/, 'the coordinator died before it answered');
    const atCrash = everyNode.map((i) => cluster.shardRows(i, user, name).map((row) => row.state));
    console.log(`shards of the write when its coordinator died: ${JSON.stringify(atCrash)}`);
    assert.deepEqual(
      atCrash[0],
      ['staged'],
      'the coordinator died after staging (prepare), before the commit',
    );
    assert.ok(atCrash.filter((states) => states.includes('staged')).length >= 2, 'staged on a quorum');

    // The survivors abort it by timeout (a tick record, DESIGN §5) and remove their staged shards.
    const abortBegan = Date.now();
    await waitFor(() => [1, 2].every((i) => cluster.shardRows(i, user, name).length === 0), 60_000, 200);
    console.log(`aborted by timeout on the survivors after ${Date.now() - abortBegan} ms`);
    for (const i of [1, 2])
      assert.equal(answer(await v1.read(url(i), user, name)), '404 DSV_SECRET_NOT_FOUND');

    await cluster.start(0); // without the fault point
    await cluster.awaitCaughtUp(0, 60_000);
    await waitFor(() => cluster.shardRows(0, user, name).length === 0, 30_000, 200);
    for (const i of everyNode) {
      assert.equal((await cluster.status(i)).shards.staged, 0, `node-${i} keeps a staged shard`);
      assert.equal(answer(await v1.read(url(i), user, name)), '404 DSV_SECRET_NOT_FOUND', `node-${i}`);
    }
    assert.equal((await v1.create(url(0), user, name, 'second try')).body, 'Secret created (version: 1)');
    const read = await v1.read(url(2), user, name);
    assert.deepEqual([read.status, read.body], [200, 'second try']);
  });

  it('DESIGN §6.6: a node down during a delete destroys its shards on restart; nothing is resurrected', async () => {
    const user = 'gone';
    const name = 'db/password';
    const created = answer(await v1.create(url(0), user, name, 'one'));
    assert.equal(
      created,
      '201',
      `node-0 answered ${created}; its last log lines:\n${cluster.logs(0).slice(-4000)}`,
    );
    assert.equal(answer(await v1.update(url(1), user, name, 'two')), '200');
    await waitFor(
      () => cluster.shardRows(2, user, name).filter((row) => row.state === 'committed').length === 2,
      30_000,
    );
    await cluster.kill9(2);
    assert.deepEqual(
      cluster.shardRows(2, user, name).map((row) => [row.version, row.state]),
      [
        [1, 'committed'],
        [2, 'committed'],
      ],
      'node-2 went down holding both versions',
    );

    const deleted = await v1.remove(url(0), user, name);
    assert.equal(answer(deleted), '204');
    for (const i of [0, 1]) {
      assert.deepEqual(cluster.shardRows(i, user, name), [], `node-${i} destroyed its shards`);
      assert.equal(answer(await v1.read(url(i), user, name)), '404 DSV_SECRET_NOT_FOUND');
    }

    await cluster.start(2);
    const offsets = await cluster.awaitCaughtUp(2, 60_000);
    console.log(`node-2 replayed to ${JSON.stringify(offsets)}`);
    assert.deepEqual(
      cluster.shardRows(2, user, name),
      [],
      'node-2 destroyed its shards when it replayed the delete',
    );
    for (const i of everyNode) {
      assert.equal(
        answer(await v1.read(url(i), user, name)),
        '404 DSV_SECRET_NOT_FOUND',
        `latest on node-${i}`,
      );
      assert.equal(
        answer(await v1.read(url(i), user, name, 1)),
        '404 DSV_SECRET_NOT_FOUND',
        `v1 on node-${i}`,
      );
      assert.equal((await v1.readAll(url(i), user, name)).status, 404, `all versions on node-${i}`);
    }
    // A re-create starts a new incarnation at version 1, with none of the old values (DESIGN §5).
    assert.equal((await v1.create(url(2), user, name, 'three')).body, 'Secret created (version: 1)');
    assert.equal((await v1.readAll(url(0), user, name)).body, JSON.stringify({ 1: 'three' }));
  });
});
