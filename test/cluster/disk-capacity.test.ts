// Capacity limits (I-C5, issue 14) on a real small file system: a 3-node dev cluster whose whole data dir
// (node databases, audit trails, the embedded log) lives on a 64 MiB tmpfs. A filler file takes the free
// space past the warning threshold (readiness says `disk`, the metric says 1), then past the critical one:
// v2 and v1 writes answer 507 DSV_DISK_FULL with nothing published, a holder refuses a stage, reads (and
// their audit records) and deletes keep working, and every secret acknowledged before is read back. Deleting
// the filler makes writes work again. A second cluster has only two holders' data dirs on small file
// systems: a full holder refuses its stage, and a write that so misses W answers 507 too. Needs root (mount);
// skips, saying why, when it cannot mount.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statfsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RemoteShardHolder } from '../../src/cluster/index.ts';
import { DsvError } from '../../src/errors/index.ts';
import type { DsvNode } from '../../src/node/dsv-node.ts';
import { loadTrustMaterial } from '../../src/trust/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { waitFor } from '../testing/wait.ts';

const MiB = 1024 * 1024;
const FS_SIZE = 64 * MiB;
const WARN = 24 * MiB;
const CRITICAL = 12 * MiB;
/** Warning and critical thresholds in bytes only, checked often, so the tests need not wait. */
const DISK_LIMITS = {
  minFreeDiskBytes: WARN,
  minFreeDiskRatio: 0,
  criticalFreeDiskBytes: CRITICAL,
  criticalFreeDiskRatio: 0,
  diskCheckIntervalMs: 200,
};
const NOT_ROOT = 'needs root to mount a tmpfs (run as root, or in a container that may mount)';
const mountTmpfs = (dir: string): void => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${FS_SIZE},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
};

describe('capacity limits on a small file system (I-C5)', { timeout: 180_000 }, () => {
  let mountDir: string | undefined;
  let mounted = false;
  let skipReason: string | undefined;
  let test: TestCluster | undefined;
  let filler = '';
  let root = '';

  before(async () => {
    if (process.getuid?.() !== 0) {
      skipReason = NOT_ROOT;
      return;
    }
    mountDir = mkdtempSync(join(tmpdir(), 'dsv-disk-'));
    try {
      mountTmpfs(mountDir);
      mounted = true;
    } catch (error) {
      skipReason = `cannot mount a tmpfs: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`;
      return;
    }
    filler = join(mountDir, 'filler');
    test = await startTestCluster({
      dataDir: join(mountDir, 'cluster'),
      limits: DISK_LIMITS,
    });
    root = await test.cluster.issueDevRootToken();
  });

  after(async () => {
    await test?.stop({ keepData: true }).catch(() => undefined);
    if (mounted && mountDir) execFileSync('umount', ['-l', mountDir], { stdio: 'pipe' });
    if (mountDir) rmSync(mountDir, { recursive: true, force: true });
  });

  const url = (node: number) => test?.urls[node] ?? '';
  const free = () => {
    const stats = statfsSync(mountDir ?? '/');
    return stats.bavail * stats.bsize;
  };
  /** Grows the filler until the file system has about `target` bytes free. */
  const fillTo = (target: number) => {
    const grow = free() - target;
    assert.ok(grow > 0, `already below ${target} bytes free`);
    appendFileSync(filler, Buffer.alloc(grow, 0x5a));
  };

  const v1Create = (node: number, name: string, value: string) =>
    fetch(`${url(node)}/api/v1/secrets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ops', secretName: name, secretValue: value }),
    });
  const v1Update = (node: number, name: string, value: string) =>
    fetch(`${url(node)}/api/v1/secrets`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ops', secretCurrentName: name, secretUpdatedValue: value }),
    });
  const v1Get = async (node: number, name: string) => {
    const response = await fetch(`${url(node)}/api/v1/secrets/${name}?user=ops`);
    return { status: response.status, text: await response.text() };
  };
  const v2Put = (node: number, name: string, value: string) =>
    fetch(`${url(node)}/v2/secrets/ops/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${root}` },
      body: JSON.stringify({ value }),
    });
  const v2Get = async (node: number, name: string) => {
    const response = await fetch(`${url(node)}/v2/secrets/ops/${name}`, {
      headers: { authorization: `Bearer ${root}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const readyz = async (node: number) =>
    (await (await fetch(`${url(node)}/readyz`)).json()) as {
      ready: boolean;
      reasons: string[];
      checks: Record<string, { ok: boolean; detail: string }>;
    };
  const metric = async (node: number, name: string, path?: string): Promise<number | undefined> => {
    const text = await (await fetch(`${url(node)}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      if (path !== undefined && !line.includes(`path="${path}"`)) continue;
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  };
  const logEnds = async () => {
    const log = test!.cluster.commitLog;
    return Promise.all(Array.from({ length: log.partitionCount }, (_, p) => log.endOffset(p)));
  };

  /** Every acknowledged secret and the value its last acknowledged write gave it. */
  const acknowledged = new Map<string, string>();
  const readEverythingBack = async () => {
    for (const [name, value] of acknowledged) {
      for (const node of [0, 1, 2]) {
        const read = await v1Get(node, name);
        assert.equal(read.status, 200, `${name} on node-${node}: ${read.text}`);
        assert.equal(read.text, value, `${name} on node-${node}`);
      }
    }
  };

  it('I-C5: warning is reported, critical refuses writes (507) with reads, deletes and acknowledged data intact, freeing space restores writes', async (t) => {
    if (skipReason !== undefined) {
      t.skip(skipReason);
      return;
    }
    // Room to spare: ready, state 0, writes work.
    await waitFor(async () => (await readyz(0)).ready, 10_000);
    assert.equal(await metric(0, 'dsv_disk_state', 'data'), 0);
    assert.equal(await metric(0, 'dsv_disk_state', 'log'), 0);
    assert.equal(await metric(0, 'dsv_disk_state', 'audit'), 0);
    assert.ok(((await metric(0, 'dsv_disk_total_bytes', 'data')) ?? 0) <= FS_SIZE);
    for (let i = 0; i < 4; i++) {
      const created = await v1Create(i % 3, `early-${i}`, `value-${i}`);
      assert.equal(created.status, 201, await created.text());
      acknowledged.set(`early-${i}`, `value-${i}`);
    }
    const v2Created = await v2Put(1, 'v2-early', 'v2-value');
    assert.equal(v2Created.status, 201, await v2Created.text());
    acknowledged.set('v2-early', 'v2-value');

    // Past the warning threshold: every node reports `disk` and the state 1; writes still work.
    fillTo(WARN - 6 * MiB);
    for (const node of [0, 1, 2]) {
      await waitFor(async () => (await readyz(node)).reasons.includes('disk'), 5000);
      assert.equal(await metric(node, 'dsv_disk_state', 'data'), 1);
    }
    const warning = await readyz(0);
    assert.equal(warning.ready, false);
    assert.match(warning.checks.disk?.detail ?? '', /data: [\d.]+ MiB free \([\d.]+%\) warning/);
    assert.doesNotMatch(warning.checks.disk?.detail ?? '', /writes are refused/);
    assert.doesNotMatch(warning.checks.disk?.detail ?? '', /\/tmp|dsv-disk/, 'no path in readiness');
    for (let i = 0; i < 3; i++) {
      const created = await v1Create(i, `warned-${i}`, `w-${i}`);
      assert.equal(created.status, 201, await created.text());
      acknowledged.set(`warned-${i}`, `w-${i}`);
    }
    const updated = await v1Update(2, 'early-0', 'value-0-b');
    assert.equal(updated.status, 200, await updated.text());
    acknowledged.set('early-0', 'value-0-b');

    // Past the critical threshold.
    fillTo(CRITICAL - 6 * MiB);
    for (const node of [0, 1, 2]) {
      await waitFor(async () => (await metric(node, 'dsv_disk_state', 'data')) === 2, 5000);
    }
    assert.match((await readyz(1)).checks.disk?.detail ?? '', /critical; .*writes are refused/);
    const endsBefore = await logEnds();

    // v2: 507 problem+json with the code, nothing written.
    const v2Refused = await v2Put(0, 'early-1', 'never');
    assert.equal(v2Refused.status, 507);
    assert.equal(v2Refused.headers.get('x-dsv-error-code'), 'DSV_DISK_FULL');
    assert.match(v2Refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(v2Refused.headers.get('retry-after'), '5');
    const problem = (await v2Refused.json()) as Record<string, unknown>;
    assert.equal(problem.code, 'DSV_DISK_FULL');
    assert.equal(problem.status, 507);
    assert.match(String(problem.detail), /disk is nearly full/);
    // v1: the original's shape (`{"message"}` only), the code in the header; creates and updates alike.
    for (const refused of [await v1Update(1, 'early-2', 'never'), await v1Create(2, 'late', 'never')]) {
      assert.equal(refused.status, 507);
      assert.equal(refused.headers.get('x-dsv-error-code'), 'DSV_DISK_FULL');
      const body = (await refused.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['message']);
      assert.match(String(body.message), /nearly full.*reads still work/);
    }
    // Admin writes that add data are refused too (a new tenant).
    const tenant = await fetch(`${url(0)}/v2/sys/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${root}` },
      body: JSON.stringify({ name: 'late-tenant' }),
    });
    assert.equal(tenant.status, 507, await tenant.text());
    // Refused before anything was published: the log did not grow.
    assert.deepEqual(await logEnds(), endsBefore);
    assert.ok(((await metric(0, 'dsv_disk_writes_refused_total')) ?? 0) >= 1);

    // A holder past critical refuses its stage, whoever coordinates (here: node-0 calling node-1's peer API).
    const node1 = (test!.cluster as unknown as { node(id: string): DsvNode }).node('node-1');
    const peerUrl = node1.config.members.find((member) => member.nodeId === 'node-1')?.peerUrl ?? '';
    const caller = new RemoteShardHolder(
      { nodeId: 'node-1', url: peerUrl },
      {
        selfId: 'node-0',
        peerToken: loadTrustMaterial(join(test!.dataDir, 'trust', 'node-0')).identity.peerToken,
        requestTimeoutMs: 5000,
      },
    );
    try {
      await assert.rejects(
        caller.stage({
          tenant: 'default',
          partition: 0,
          minOffset: 0,
          shards: [
            {
              namespace: 'ops',
              name: 'x',
              version: 1,
              writeId: 'w',
              index: 1,
              share: new Uint8Array(32),
              blinding: new Uint8Array(32),
              commitment: 'c',
            },
          ],
        }),
        (error: unknown) => error instanceof DsvError && error.code === 'DSV_DISK_FULL',
      );
    } finally {
      await caller.close();
    }

    // Reads keep working on every node (each audited), v1 and v2, and nothing acknowledged is lost.
    await readEverythingBack();
    const v2Read = await v2Get(2, 'v2-early');
    assert.equal(v2Read.status, 200);
    assert.equal(v2Read.body.value, 'v2-value');
    assert.equal(v2Read.body.version, 1);
    // Deletes free space, so they are taken (two small log records, then shards dropped).
    const deleted = await fetch(`${url(1)}/api/v1/secrets`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ops', deleteName: 'warned-2' }),
    });
    assert.equal(deleted.status, 204, await deleted.text());
    acknowledged.delete('warned-2');
    assert.equal((await v1Get(0, 'warned-2')).status, 404);

    // Space freed: writes are taken again (sampled on demand, no restart) and the disk reason clears.
    unlinkSync(filler);
    const again = await v2Put(0, 'early-1', 'value-1-b');
    assert.equal(again.status, 200, await again.text());
    acknowledged.set('early-1', 'value-1-b');
    const late = await v1Create(2, 'late', 'late-value');
    assert.equal(late.status, 201, await late.text());
    acknowledged.set('late', 'late-value');
    for (const node of [0, 1, 2]) {
      await waitFor(async () => !(await readyz(node)).reasons.includes('disk'), 5000);
      assert.equal(await metric(node, 'dsv_disk_state', 'data'), 0);
    }
    await readEverythingBack();
  });
});

// Only some nodes full: node-0 (the coordinator) has room, node-1 and node-2 each have their data dir on a
// small tmpfs. A holder past critical refuses its stage, so a healthy coordinator cannot fill it: with one
// holder full the write still reaches W = 2 (degraded, repaired later); with two it is aborted and answers
// 507 DSV_DISK_FULL (too few holders with room), and nothing acknowledged is lost.
describe('capacity limits when only some holders are full (I-C5)', { timeout: 180_000 }, () => {
  let base: string | undefined;
  const mounts: string[] = [];
  let skipReason: string | undefined;
  let test: TestCluster | undefined;
  let root = '';

  before(async () => {
    if (process.getuid?.() !== 0) {
      skipReason = NOT_ROOT;
      return;
    }
    base = mkdtempSync(join(tmpdir(), 'dsv-disk-'));
    for (const nodeId of ['node-1', 'node-2']) {
      const dir = join(base, 'cluster', nodeId);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      try {
        mountTmpfs(dir);
        mounts.push(dir);
      } catch (error) {
        skipReason = `cannot mount a tmpfs: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`;
        return;
      }
    }
    test = await startTestCluster({
      dataDir: join(base, 'cluster'),
      limits: DISK_LIMITS,
    });
    root = await test.cluster.issueDevRootToken();
  });

  after(async () => {
    await test?.stop({ keepData: true }).catch(() => undefined);
    for (const dir of mounts) execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const url = (node: number) => test?.urls[node] ?? '';
  const put = (node: number, name: string, value: string) =>
    fetch(`${url(node)}/v2/secrets/ops/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${root}` },
      body: JSON.stringify({ value }),
    });
  const read = async (node: number, name: string) => {
    const response = await fetch(`${url(node)}/v2/secrets/ops/${name}`, {
      headers: { authorization: `Bearer ${root}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const metric = async (node: number, name: string, path?: string): Promise<number> => {
    const text = await (await fetch(`${url(node)}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && (path === undefined || l.includes(`path="${path}"`)));
    return Number(line?.slice(line.lastIndexOf(' ') + 1) ?? Number.NaN);
  };
  const fill = (dir: string) => {
    const stats = statfsSync(dir);
    appendFileSync(
      join(dir, 'filler'),
      Buffer.alloc(stats.bavail * stats.bsize - (CRITICAL - 6 * MiB), 0x5a),
    );
  };

  it('I-C5: a full holder refuses its stage; too few holders with room make the write 507, reads stay intact', async (t) => {
    if (skipReason !== undefined) {
      t.skip(skipReason);
      return;
    }
    const [node1Dir, node2Dir] = mounts as [string, string];
    assert.equal((await put(0, 'a', 'value-a')).status, 201);

    // node-2 full: node-0 and node-1 stage, W = 2 is met; node-2 refused its stage (and stored nothing).
    fill(node2Dir);
    await waitFor(async () => (await metric(2, 'dsv_disk_state', 'data')) === 2, 5000);
    assert.equal(await metric(0, 'dsv_disk_state', 'data'), 0);
    const stored = await put(0, 'b', 'value-b');
    assert.equal(stored.status, 201, await stored.text());
    assert.ok((await metric(2, 'dsv_disk_writes_refused_total')) >= 1, 'node-2 refused its stage');

    // node-1 full too: only node-0 could stage, below W; the write is aborted and says why.
    fill(node1Dir);
    await waitFor(async () => (await metric(1, 'dsv_disk_state', 'data')) === 2, 5000);
    const refused = await put(0, 'c', 'never');
    assert.equal(refused.status, 507);
    assert.equal(refused.headers.get('x-dsv-error-code'), 'DSV_DISK_FULL');
    const problem = (await refused.json()) as Record<string, unknown>;
    assert.match(
      String(problem.detail),
      /Too few holders of this secret have disk space.*1 node answered, 2 needed/,
    );
    assert.equal((await read(0, 'c')).status, 404);

    // Reads keep working everywhere, with every acknowledged value.
    for (const node of [0, 1, 2]) {
      assert.equal((await read(node, 'a')).body.value, 'value-a');
      assert.equal((await read(node, 'b')).body.value, 'value-b');
    }

    // Room again on node-1: writes are taken.
    unlinkSync(join(node1Dir, 'filler'));
    const again = await put(0, 'c', 'value-c');
    assert.equal(again.status, 201, await again.text());
    assert.equal((await read(2, 'c')).body.value, 'value-c');
  });
});
