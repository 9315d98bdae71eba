// A node whose applying fails at one offset, again and again, says so: LogApplier.stalled names the partition
// and offset, and readiness reports it under 'log-lag' (the Kafka red team's wedge: /readyz stayed ready while
// every node retried the same offset forever). Real parts: an embedded log, a SQLite view and shard store,
// the state machine with the real record authority; the log is wrapped so that reads from one offset fail,
// as they did for a batch the Kafka client could not decode.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { DsvError } from '../errors/index.ts';
import type { CommitLog } from '../log/index.ts';
import { EmbeddedCommitLog } from '../log/embedded/embedded-commit-log.ts';
import { checkReadiness, STALLED_APPLY_MS, type ReadinessSources } from '../node/readiness.ts';
import { RecordAuthority } from '../secrets/record-authority.ts';
import { SecretStateMachine } from '../secrets/state-machine.ts';
import { signedTestCluster } from '../secrets/testing/signed-cluster.ts';
import { SqliteShardStore } from '../shards/index.ts';
import { SignatureVerifier } from '../trust/index.ts';
import { ViewStore } from '../view/index.ts';
import { LogApplier } from './applier.ts';
import { waitFor } from '../../test/testing/wait.ts';

/** The real log, except that a read from `from` or later fails (an undecodable fetch), until healed. */
function failingFrom(log: CommitLog, from: number): CommitLog & { heal(): void } {
  let failing = true;
  return {
    partitionCount: log.partitionCount,
    append: (partition, key, value) => log.append(partition, key, value),
    read: async (partition, fromOffset, options) => {
      if (failing && fromOffset >= from) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new DsvError('DSV_LOG_UNAVAILABLE', 'reading partition 0: Invalid xerial snappy chunk data');
      }
      const records = await log.read(partition, fromOffset, options);
      return failing ? records.filter((record) => record.offset < from) : records;
    },
    endOffset: (partition) => log.endOffset(partition),
    identity: () => log.identity(),
    close: () => log.close(),
    heal: () => {
      failing = false;
    },
  };
}

const passThrough = {
  kind: 'test',
  seal: async (_: unknown, share: Uint8Array) => share,
  open: async (_: unknown, share: Uint8Array) => share,
};

describe('LogApplier: a partition that cannot be applied past one offset', () => {
  const cluster = signedTestCluster('dsv-applier-stall-');
  after(() => cluster.remove());

  /** One node's applier on real parts over `wrap(embedded log)`. */
  async function nodeOver<L extends CommitLog>(wrap: (log: CommitLog) => L) {
    const dir = await mkdtemp(join(tmpdir(), 'dsv-applier-stall-log-'));
    const real = await EmbeddedCommitLog.open({ dir, partitionCount: 1 });
    const log = wrap(real);
    const db = new DatabaseSync(':memory:');
    const view = new ViewStore(db);
    const shards = new SqliteShardStore(db, passThrough, 'node-0');
    const machine = new SecretStateMachine(view, shards, {
      pendingTimeoutMs: 60_000,
      authority: new RecordAuthority(
        new SignatureVerifier(cluster.trust[0]!.manifest),
        { quorum: 2, writeQuorum: 2, placement: () => cluster.ids },
        view,
      ),
    });
    const applier = new LogApplier(log, view, machine, cluster.codecOf(0), pino({ level: 'silent' }));
    const close = async () => {
      await applier.stop();
      await log.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    };
    return { real, log, applier, close };
  }

  it('is named by stalled() and makes readiness say log-lag; once it applies again, both clear', async () => {
    const { real, log, applier, close } = await nodeOver((inner) => failingFrom(inner, 1));
    const sources = (now: number): ReadinessSources => ({
      partitions: 1,
      controlPartition: 0,
      endOffset: (partition) => log.endOffset(partition),
      applied: (partition) => applier.nextOffset(partition),
      kekOpen: () => true,
      healthyPeers: () => 2,
      peersNeeded: 1,
      auditFailed: () => false,
      logTimeoutMs: 1000,
      maxLagRecords: 1000, // the lag in records alone would say ready
      stalledApply: () => applier.stalled(STALLED_APPLY_MS, now),
      disk: async () => ({ ok: true, detail: 'ok' }),
    });
    try {
      // Two records of a log writer's garbage: counted no-ops, offsets 0 and 1.
      await real.append(0, 't', new Uint8Array([1, 2, 3]));
      await real.append(0, 't', new Uint8Array([4, 5, 6]));
      applier.start();
      await waitFor(() => applier.nextOffset(0) === 1, 5000);
      await waitFor(() => applier.stalled(0) !== undefined, 5000);
      assert.equal(applier.stalled(STALLED_APPLY_MS), undefined, 'not yet for long');
      const later = Date.now() + STALLED_APPLY_MS + 1000;
      assert.deepEqual(
        { ...applier.stalled(STALLED_APPLY_MS, later), seconds: 0 },
        { partition: 0, offset: 1, seconds: 0 },
      );
      const stuck = await checkReadiness(sources(later));
      assert.equal(stuck.ready, false);
      assert.deepEqual(stuck.reasons, ['log-lag']);
      assert.match(stuck.checks['log-lag'].detail, /partition 0 has failed at offset 1 for 1[01] s/);

      log.heal();
      await waitFor(() => applier.nextOffset(0) === 2, 5000);
      assert.equal(applier.stalled(0), undefined);
      assert.equal((await checkReadiness(sources(later))).ready, true);
    } finally {
      await close();
    }
  });

  it('I-L1: a log that answers with a gap in its offsets is never applied past; the node says it is stuck', async () => {
    // The log answers offset 1 as if it were 1,000 (a record that claimed its own offset, before the reader
    // stopped believing it): the applier must not jump to 1,001.
    const { real, applier, close } = await nodeOver((inner) => ({
      partitionCount: inner.partitionCount,
      append: (partition, key, value) => inner.append(partition, key, value),
      read: async (partition, fromOffset, options) =>
        (await inner.read(partition, fromOffset, options)).map((record) =>
          record.offset === 1 ? { ...record, offset: 1000 } : record,
        ),
      endOffset: (partition) => inner.endOffset(partition),
      identity: () => inner.identity(),
      close: () => inner.close(),
    }));
    try {
      await real.append(0, 't', new Uint8Array([1]));
      await real.append(0, 't', new Uint8Array([2]));
      applier.start();
      await waitFor(() => applier.stalled(0) !== undefined, 5000);
      assert.equal(applier.nextOffset(0), 0, 'nothing of the answer with a gap is applied');
      assert.equal(applier.stalled(0)?.offset, 0);
    } finally {
      await close();
    }
  });
});
