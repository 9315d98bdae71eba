// I-L8 end to end: a node pins the log it follows. Started against another embedded log directory, or against
// a Kafka topic that was deleted and recreated, it refuses to start (DSV_LOG_IDENTITY_CHANGED, what `dsv server`
// exits 2 on); when the topic is recreated under a running node, it answers 503 DSV_LOG_IDENTITY_CHANGED.
import assert from 'node:assert/strict';
import { ensureDevTrust, loadTrustMaterial, type TrustMaterial } from '../../src/trust/index.ts';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { isDsvError } from '../../src/errors/index.ts';
import type { CommitLog } from '../../src/log/index.ts';
import { EmbeddedCommitLog } from '../../src/log/embedded/embedded-commit-log.ts';
import { KafkaCommitLog } from '../../src/log/kafka/kafka-commit-log.ts';
import { DsvNode } from '../../src/node/dsv-node.ts';
import { createLogger } from '../../src/node/logger.ts';
import { ensureDevKeyFile, envelopeSealer } from '../../src/node/sealers.ts';
import { freePortRange } from '../testing/free-ports.ts';
import { startKafka, type LocalKafka } from '../testing/kafka.ts';
import { waitFor } from '../testing/wait.ts';

const root = mkdtempSync(join(tmpdir(), 'dsv-log-pin-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** One single-member node on `log`, its data in `dataDir` (kept across starts). */
async function makeNode(dataDir: string, log: CommitLog): Promise<DsvNode> {
  const publicPort = await freePortRange(1);
  const peerPort = await freePortRange(1);
  return new DsvNode(
    {
      nodeId: 'node-0',
      dataDir,
      devMode: true,
      publicListen: { port: publicPort },
      peerListen: { port: peerPort },
      members: [{ nodeId: 'node-0', peerUrl: `http://127.0.0.1:${peerPort}` }],
      sharing: { n: 1, k: 1, w: 1, r: 0 },
    },
    {
      log,
      logger: createLogger({ level: process.env.DSV_TEST_LOG_LEVEL ?? 'silent' }),
      trust: devTrust(dataDir),
      sealer: envelopeSealer({ kind: 'key-file', path: ensureDevKeyFile(join(dataDir, 'dev-kek.key')) }),
    },
  );
}

/** A one-node cluster's keys, made once beside its data (as `dsv dev` does). */
function devTrust(dataDir: string): TrustMaterial {
  ensureDevTrust(join(dataDir, 'trust'), ['node-0']);
  return loadTrustMaterial(join(dataDir, 'trust', 'node-0'));
}

const identityChanged = (error: unknown): boolean => {
  assert.ok(isDsvError(error), `expected a DsvError, got ${String(error)}`);
  assert.equal(error.code, 'DSV_LOG_IDENTITY_CHANGED');
  return true;
};

void describe('log pin: embedded log (I-L8)', () => {
  void it('a node refuses to start on another log directory, and starts again on its own', async () => {
    const dataDir = join(root, 'embedded-node');
    const own = await EmbeddedCommitLog.open({ dir: join(root, 'log-a'), partitionCount: 3 });
    let node = await makeNode(dataDir, own);
    await node.start();
    assert.equal((await fetch(`${node.publicUrl}/health`)).status, 200);
    await node.stop();
    await own.close();

    const swapped = await EmbeddedCommitLog.open({ dir: join(root, 'log-b'), partitionCount: 3 });
    node = await makeNode(dataDir, swapped);
    await assert.rejects(node.start(), identityChanged);
    assert.equal(node.isRunning, false);
    await swapped.close();

    const back = await EmbeddedCommitLog.open({ dir: join(root, 'log-a'), partitionCount: 3 });
    node = await makeNode(dataDir, back);
    await node.start();
    await node.stop();
    await back.close();
  });
});

void describe('log pin: Kafka topic recreated (I-L8)', { timeout: 300_000 }, () => {
  let kafka: LocalKafka | undefined;
  after(async () => {
    await kafka?.stop();
  });

  void it('a running node answers 503 DSV_LOG_IDENTITY_CHANGED, and refuses to start again', async () => {
    kafka = await startKafka({ brokers: 1 });
    const topic = `dsv-pin-${randomUUID()}`;
    const open = () =>
      KafkaCommitLog.open({
        bootstrap: kafka?.bootstrap ?? [],
        topic,
        partitionCount: 3,
        replicationFactor: 1,
        minInsyncReplicas: 1,
        clientId: 'dsv-pin-test',
      });
    const dataDir = join(root, 'kafka-node');
    let log = await open();
    const before = await log.identity();
    const node = await makeNode(dataDir, log);
    await node.start();
    try {
      assert.equal((await fetch(`${node.publicUrl}/health`)).status, 200);
      const admin = new Admin({ clientId: 'dsv-pin-admin', bootstrapBrokers: kafka.bootstrap });
      try {
        await admin.deleteTopics({ topics: [topic] });
      } finally {
        await admin.close();
      }
      // Recreated with the same name and settings (what a careless operator or an attacker would do).
      await waitFor(
        async () => {
          try {
            await (await open()).close();
            return true;
          } catch {
            return false;
          }
        },
        60_000,
        500,
      );
      await waitFor(async () => (await fetch(`${node.publicUrl}/health`)).status === 503, 30_000, 250);
      const response = await fetch(`${node.publicUrl}/health`);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('x-dsv-error-code'), 'DSV_LOG_IDENTITY_CHANGED');
    } finally {
      await node.stop();
      await log.close();
    }
    log = await open();
    try {
      assert.notDeepEqual(await log.identity(), before, 'the recreated topic has a new id');
      await assert.rejects((await makeNode(dataDir, log)).start(), identityChanged);
    } finally {
      await log.close();
    }
  });
});
