// DiskWatch (I-C5) against a scripted statfs: states per path, on-demand sampling near the threshold, the
// refusal and its message, readiness details, and the node config thresholds (critical defaults to half).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvError } from '../errors/index.ts';
import { classify, DiskWatch, type DiskThresholds } from './disk-watch.ts';
import { diskThresholds, nodeConfigSchema } from './node-config.ts';

const MiB = 1024 * 1024;
const thresholds: DiskThresholds = {
  warnFreeBytes: 64 * MiB,
  warnFreeRatio: 0.01,
  criticalFreeBytes: 32 * MiB,
  criticalFreeRatio: 0.005,
};

/** A statfs whose free bytes per path the test sets; 4 KiB blocks on a 2 GiB file system. */
function fakeDisks(free: Record<string, number>) {
  let calls = 0;
  const statfs = async (path: string) => {
    calls++;
    const bytes = free[path];
    if (bytes === undefined) throw Object.assign(new Error('no such path'), { code: 'ENOENT' });
    return { bsize: 4096, blocks: (2048 * MiB) / 4096, bavail: Math.floor(bytes / 4096) };
  };
  return { statfs, free, calls: () => calls };
}

describe('DiskWatch', () => {
  it('classifies by bytes and by ratio, critical first', () => {
    assert.equal(classify(100 * MiB, 0.5, thresholds), 'ok');
    assert.equal(classify(40 * MiB, 0.5, thresholds), 'warning');
    assert.equal(classify(100 * MiB, 0.008, thresholds), 'warning');
    assert.equal(classify(31 * MiB, 0.5, thresholds), 'critical');
    assert.equal(classify(100 * MiB, 0.004, thresholds), 'critical');
  });

  it('I-C5: reports the worst path, refuses writes past critical and takes them again once space is freed', async () => {
    const disks = fakeDisks({ '/data': 500 * MiB, '/audit': 500 * MiB });
    const changes: string[] = [];
    let refused = 0;
    const watch = new DiskWatch({
      paths: [
        { role: 'data', path: '/data' },
        { role: 'audit', path: '/audit' },
      ],
      thresholds,
      intervalMs: 60_000, // no background tick matters here: every change below is seen on demand
      statfs: disks.statfs,
      onChange: (state) => changes.push(state),
      onRefused: () => refused++,
    });
    await watch.start();
    try {
      assert.equal(watch.state, 'ok');
      assert.deepEqual(await watch.readiness(), {
        ok: true,
        detail: 'data: 500 MiB free (24.4%); audit: 500 MiB free (24.4%)',
      });
      const before = disks.calls();
      await watch.admitWrite(); // comfortably ok: the last sample answers, no statfs
      assert.equal(disks.calls(), before);

      disks.free['/audit'] = 40 * MiB;
      await watch.sample();
      assert.equal(watch.state, 'warning');
      const warning = await watch.readiness();
      assert.equal(warning.ok, false);
      assert.match(warning.detail, /audit: 40 MiB free \(1\.95%\) warning/);
      assert.doesNotMatch(warning.detail, /writes are refused/);
      await watch.admitWrite(); // warning: still writable

      // Near the threshold every write samples again: a disk that filled since the last tick is caught.
      disks.free['/audit'] = 10 * MiB;
      await assert.rejects(watch.admitWrite(), (error: unknown) => {
        assert.ok(error instanceof DsvError);
        assert.equal(error.code, 'DSV_DISK_FULL');
        assert.equal(error.status, 507);
        assert.equal(error.retriable, true);
        assert.match(error.message, /audit disk is nearly full \(10 MiB free; critical below 32 MiB/);
        assert.doesNotMatch(error.message, /\/audit|\/data/, 'no path in a client message');
        return true;
      });
      assert.equal(refused, 1);
      assert.match((await watch.readiness()).detail, /writes are refused/);

      disks.free['/audit'] = 500 * MiB; // the operator freed space: the next write is taken at once
      await watch.admitWrite();
      assert.equal(watch.state, 'ok');
      assert.deepEqual(changes, ['warning', 'critical', 'ok']);
    } finally {
      watch.stop();
    }
  });

  it('a path it cannot stat is reported, not treated as full', async () => {
    const watch = new DiskWatch({
      paths: [{ role: 'log', path: '/gone' }],
      thresholds,
      statfs: fakeDisks({}).statfs,
    });
    await watch.sample();
    await watch.admitWrite();
    assert.deepEqual(await watch.readiness(), {
      ok: false,
      detail:
        'log: cannot read free space (ENOENT) — warning below 64 MiB or 1.00%, critical below 32 MiB or 0.50%',
    });
  });

  it('node config: critical defaults to half the warning, and may not exceed it', () => {
    const base = {
      nodeId: 'n',
      dataDir: '/d',
      publicListen: { port: 1 },
      peerListen: { port: 2 },
      members: [{ nodeId: 'n', peerUrl: 'http://127.0.0.1:2' }],
      sharing: { n: 1, k: 1, w: 1 },
    };
    assert.deepEqual(diskThresholds(nodeConfigSchema.parse(base).limits), thresholds);
    assert.deepEqual(
      diskThresholds(
        nodeConfigSchema.parse({
          ...base,
          limits: { minFreeDiskBytes: 20 * MiB, criticalFreeDiskBytes: 5 * MiB },
        }).limits,
      ),
      { warnFreeBytes: 20 * MiB, warnFreeRatio: 0.01, criticalFreeBytes: 5 * MiB, criticalFreeRatio: 0.005 },
    );
    assert.throws(
      () =>
        nodeConfigSchema.parse({
          ...base,
          limits: { minFreeDiskBytes: MiB, criticalFreeDiskBytes: 2 * MiB },
        }),
      /critical disk thresholds cannot exceed/,
    );
    assert.throws(
      () => new DiskWatch({ paths: [], thresholds: { ...thresholds, criticalFreeRatio: 0.5 } }),
      RangeError,
    );
  });
});
