// Tests of the bounded load generator against real loopback servers and a real 3-node dev cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDevKeyFile, envelopeSealer } from '../src/node/sealers.ts';
import { startBenchCluster, type BenchCluster } from './embedded-cluster.ts';
import { runLoadInWorker } from './load-in-worker.ts';
import { runLoad, type LoadResult } from './load.ts';
import { startLoopbackServer } from './loopback-server.ts';
import { benchKeys, type KeyState, type WorkloadSpec } from './workload.ts';

const base = {
  concurrency: 2,
  warmupMs: 0,
  durationMs: 300,
  maxRequests: 1_000_000,
  // Generous: a slow answer on a loaded machine is not a wrong one (these tests check answers, not speed).
  requestTimeoutMs: 60_000,
  user: 'bench',
  keys: [],
  valueBytes: 100,
} satisfies Partial<WorkloadSpec>;

/** Runs against the cluster end after a number of requests, not after a time: how many answers fit in 300 ms
 * depends on the machine's load, and every key must see a write whatever the load. */
const byCount = { durationMs: 600_000, maxRequests: 40 } satisfies Partial<WorkloadSpec>;

describe('bench load generator', () => {
  it('stops at maxRequests and counts every correct answer', async () => {
    const server = await startLoopbackServer();
    try {
      const result = await runLoad({
        ...base,
        kind: 'http-get',
        origins: [server.url],
        durationMs: 10_000,
        maxRequests: 50,
      });
      assert.equal(result.issued, 50);
      assert.equal(result.okInWindow, 50);
      assert.deepEqual(result.errors, {});
    } finally {
      await server.close();
    }
  });

  it('counts a wrong status as an error, never as a measured sample', async () => {
    let n = 0;
    const flaky = createServer((_request, response) => {
      const fail = n++ % 2 === 1;
      response.writeHead(fail ? 503 : 200, { 'content-type': 'text/plain' });
      response.end(fail ? '{"message":"Insufficient secret parts to reconstruct"}' : 'ok');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const address = flaky.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const result = await runLoad({
        ...base,
        concurrency: 1,
        kind: 'http-get',
        origins: [`http://127.0.0.1:${port}`],
        maxRequests: 20,
        durationMs: 10_000,
      });
      assert.equal(result.okInWindow, 10);
      assert.equal(result.latenciesMs.length, 10);
      assert.deepEqual(result.errors, {
        'HTTP 503 {"message":"Insufficient secret parts to reconstruct"}': 10,
      });
    } finally {
      flaky.closeAllConnections();
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it('a run in a worker thread is bounded by its duration', async () => {
    const server = await startLoopbackServer();
    try {
      // runLoadInWorker rejects a run that outlives its bounds; this one stops on its 300 ms, long before
      // maxRequests. (Whether an answer lands inside 300 ms depends on the load: not asserted.)
      const result = await runLoadInWorker({ ...base, kind: 'http-get', origins: [server.url] });
      assert.ok(result.issued > 0 && result.issued < base.maxRequests);
      assert.deepEqual(result.errors, {});
      assert.ok(result.measuredMs > 250 && result.measuredMs <= 300, String(result.measuredMs));
    } finally {
      await server.close();
    }
  });
});

/** Creates every key of `spec` (each at version 1), then `fresh` keys of fresh names: all answers right. */
async function seedThenCreate(
  spec: Omit<WorkloadSpec, 'kind'>,
  kind: 'v2-create' | 'cs-create',
  fresh: number,
): Promise<LoadResult> {
  const seeded = await runLoad({ ...spec, kind, maxRequests: spec.keys.length, durationMs: 10_000 });
  assert.deepEqual(seeded.errors, {});
  assert.ok(seeded.keys.every((key) => key.version === 1));
  const created = await runLoad({
    ...spec,
    ...byCount,
    kind,
    createPrefix: `${kind}-fresh-`,
    maxRequests: fresh,
  });
  assert.deepEqual([created.errors, created.okInWindow], [{}, fresh]);
  return seeded;
}

describe('bench workloads against a real 3-node cluster', () => {
  let dataDir = '';
  let cluster: BenchCluster;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dsv-bench-test-'));
    const path = ensureDevKeyFile(join(dataDir, 'dev-kek.key'));
    cluster = await startBenchCluster({ dataDir, sealer: envelopeSealer({ kind: 'key-file', path }) });
  });
  after(async () => {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('I-X2: create, update and read answer as API-V1 says, versions dense per key', async () => {
    const keys = benchKeys(4, (i) => `k/${i}`);
    const spec = { ...base, origins: cluster.urls, keys };
    const created = await runLoad({ ...spec, kind: 'v1-create', maxRequests: 4, durationMs: 10_000 });
    assert.deepEqual(created.errors, {});
    assert.ok(created.keys.every((key) => key.version === 1));
    const updated = await runLoad({ ...spec, ...byCount, kind: 'v1-put', keys: created.keys });
    assert.deepEqual(updated.errors, {});
    assert.ok(updated.keys.every((key) => (key.version ?? 0) > 1));
    const read = await runLoad({ ...spec, ...byCount, kind: 'v1-get', keys: updated.keys });
    assert.deepEqual(read.errors, {});
    assert.ok(read.okInWindow > 0);
  });

  it('v2 (issue 10 rows): create, update, read and mixed answer as the v2 API says, versions dense', async () => {
    const keys = benchKeys(4, (i) => `v2/${i}`);
    const spec = { ...base, origins: cluster.urls, keys, token: cluster.token };
    const seeded = await seedThenCreate(spec, 'v2-create', 6);
    const updated = await runLoad({ ...spec, ...byCount, kind: 'v2-update', keys: seeded.keys });
    assert.deepEqual(updated.errors, {});
    assert.ok(updated.keys.every((key) => (key.version ?? 0) > 1));
    const mixed = await runLoad({
      ...spec,
      ...byCount,
      kind: 'v2-mixed',
      keys: updated.keys,
      readPercent: 50,
    });
    assert.deepEqual(mixed.errors, {});
    const read = await runLoad({ ...spec, ...byCount, kind: 'v2-read', keys: mixed.keys });
    assert.deepEqual(read.errors, {});
    assert.ok(read.okInWindow > 0);
    // A create of a key that exists is a 409, counted as an error and never measured.
    const again = await runLoad({
      ...spec,
      ...byCount,
      kind: 'v2-create',
      keys: read.keys.slice(0, 1),
      maxRequests: 1,
    });
    assert.equal(again.okInWindow, 0);
    assert.deepEqual(Object.keys(again.errors).length, 1);
    assert.match(Object.keys(again.errors)[0]!, /^HTTP 409 .*DSV_SECRET_EXISTS/);
  });

  it('client-side (issue 9): create, update and read through the client library check as their v2 rows do', async () => {
    const keys = benchKeys(4, (i) => `cs/${i}`);
    const spec = { ...base, origins: cluster.urls, keys, token: cluster.token };
    const seeded = await seedThenCreate(spec, 'cs-create', 3);
    const updated = await runLoad({
      ...spec,
      ...byCount,
      kind: 'cs-update',
      keys: seeded.keys,
      maxRequests: 12,
    });
    assert.deepEqual(updated.errors, {});
    assert.ok(updated.keys.every((key) => (key.version ?? 0) > 1));
    const read = await runLoad({ ...spec, ...byCount, kind: 'cs-read', keys: updated.keys, maxRequests: 8 });
    assert.deepEqual([read.errors, read.okInWindow], [{}, 8]);
    // What the client library wrote, the server-side read returns: the same key, the same value and version.
    const crossed = await runLoad({ ...spec, ...byCount, kind: 'v2-read', keys: read.keys, maxRequests: 4 });
    assert.deepEqual([crossed.errors, crossed.okInWindow], [{}, 4]);
    // A wrong expectation is an error, never a sample: a known key whose recorded value is stale.
    const stale = read.keys.map((key) => ({ ...key, value: 'not the value' }));
    const wrong = await runLoad({ ...spec, ...byCount, kind: 'cs-read', keys: stale, maxRequests: 2 });
    assert.deepEqual([wrong.errors, wrong.okInWindow], [{ 'wrong value': 2 }, 0]);
    // A create of a key that exists: the library's 409 code, counted as an error.
    const again = await runLoad({
      ...spec,
      ...byCount,
      kind: 'cs-create',
      keys: keys.slice(0, 1),
      maxRequests: 1,
    });
    assert.equal(again.okInWindow, 0);
    assert.match(Object.keys(again.errors).join(), /^client DSV_SECRET_EXISTS /);
  });

  it('a second create of the same key is counted as an error (409), not measured', async () => {
    const keys: KeyState[] = [{ name: 'dup', value: undefined, version: undefined }];
    const spec = { ...base, concurrency: 1, origins: cluster.urls, keys, durationMs: 10_000 };
    const result = await runLoad({ ...spec, kind: 'v1-create', maxRequests: 2 });
    assert.equal(result.okInWindow, 1);
    assert.deepEqual(result.errors, { 'HTTP 409 {"message":"Secret already exists"}': 1 });
  });
});
