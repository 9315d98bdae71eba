// KEK rotation of one node of a live 3-node cluster with `dsv keys rotate-kek` (DESIGN §8): the other nodes keep
// serving, the node's shards are untouched, it restarts with the new passphrase only, and reads back everything.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { tableDigest } from '../../src/keys/rotation/kek-rotation-fixture.ts';
import { DevCluster } from '../../src/node/dev-cluster.ts';
import { createLogger } from '../../src/node/logger.ts';
import { envelopeSealer, type SealerFactory } from '../../src/node/sealers.ts';
import { freePortRange } from '../testing/free-ports.ts';
import { runDsv } from '../testing/dsv-process.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

const OLD = 'old cluster passphrase';
const NEW = 'new passphrase for node-1';
const SHARD_ORDER = 'tenant, namespace, name, version, write_id';

describe('dsv keys rotate-kek on a live cluster, node by node', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-kek-cluster-'));
  const node1Dir = join(dataDir, 'node-1');
  // The operator's per-node unseal secret: what each node is (re)started with.
  const passphrases = new Map([
    ['node-0', OLD],
    ['node-1', OLD],
    ['node-2', OLD],
  ]);
  const sealer: SealerFactory = (db, config, tenants) =>
    envelopeSealer({ kind: 'passphrase', passphrase: passphrases.get(config.nodeId) ?? '' })(
      db,
      config,
      tenants,
    );
  let cluster: DevCluster;
  let urls: string[] = [];

  before(async () => {
    cluster = await DevCluster.start({
      nodes: 3,
      basePort: await freePortRange(3),
      peerBasePort: await freePortRange(3),
      dataDir,
      logger: createLogger({ level: process.env.DSV_TEST_LOG_LEVEL ?? 'silent' }),
      sealer,
      membershipIntervalMs: 200,
      pendingWriteMs: 3000,
    });
    urls = cluster.urls();
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const url = (i: number) => urls[i] ?? '';
  const shardsOfNode1 = () => {
    const db = new DatabaseSync(join(node1Dir, 'node.sqlite'));
    try {
      return tableDigest(db, 'shards', SHARD_ORDER);
    } finally {
      db.close();
    }
  };
  const rotateKek = async (nodeDir: string) => {
    const cli = runDsv(['keys', 'rotate-kek', '--node-dir', nodeDir], {
      DSV_UNSEAL_PASSPHRASE: OLD,
      DSV_NEW_UNSEAL_PASSPHRASE: NEW,
    });
    return { code: await cli.exited, output: cli.output() };
  };

  it('rotates a stopped node; the old passphrase is refused, the new one unseals; every secret reads back', async () => {
    const secrets = new Map<string, string>();
    for (let i = 0; i < 12; i++) {
      const name = `kek-${i}`;
      assert.equal((await v1.create(url(i % 3), 'ops', name, `value ${i}`)).status, 201);
      secrets.set(name, `value ${i}`);
    }
    for (const tenantUser of ['team-a', 'team-b'])
      assert.equal((await v1.create(url(0), tenantUser, 'shared', tenantUser)).status, 201);

    const refused = await rotateKek(join(dataDir, 'node-0'));
    assert.equal(refused.code, 1, refused.output);
    assert.match(
      refused.output,
      /error \[DSV_INPUT_INVALID\]: .*in use: stop the node before rotating its KEK/,
    );

    await cluster.stopNode('node-1');
    // No downtime: the other nodes keep taking writes and reads while node-1 is rotated.
    assert.equal((await v1.create(url(0), 'ops', 'during', 'rotation')).status, 201);
    assert.equal((await v1.read(url(2), 'ops', 'during')).body, 'rotation');
    const shardsBefore = shardsOfNode1();

    const rotated = await rotateKek(node1Dir);
    assert.equal(rotated.code, 0, rotated.output);
    assert.match(rotated.output, /\d+\/\d+ data keys staged under the new KEK/);
    assert.match(
      rotated.output,
      /done: [1-9]\d* data keys rewrapped, 0 destroyed keys untouched, shards untouched/,
    );
    assert.doesNotMatch(rotated.output, new RegExp(`${OLD}|${NEW}`), 'passphrases are never echoed');
    assert.equal(shardsOfNode1(), shardsBefore, 'the shards table is byte-for-byte untouched');

    await assert.rejects(cluster.startNode('node-1'), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /Unseal failed: the passphrase does not match this node's key verifier/,
    });
    passphrases.set('node-1', NEW);
    await cluster.startNode('node-1');
    await cluster.awaitMembership(10_000);

    // With node-0 down, k = 2 needs node-1's own shards: they open under the DEKs rewrapped by the new KEK.
    await cluster.stopNode('node-0');
    for (const [name, value] of secrets) {
      const read = await v1.read(url(1), 'ops', name);
      assert.deepEqual([read.status, read.body], [200, value], name);
    }
    for (const user of ['team-a', 'team-b']) assert.equal((await v1.read(url(1), user, 'shared')).body, user);
    await cluster.startNode('node-0');
    await waitFor(async () => (await v1.read(url(1), 'ops', 'during')).body === 'rotation', 10_000);
  });
});
