// Red team of proactive share refresh, round 2 (after ce4e922, I-R4: every session bound to the offset of the
// refresh-start that opened it). Same attacker as test/adversary/share-refresh-attacks.test.ts:
//   1. node-0 compromised (its keys, its pair secrets, its peer calls as the refresher, its own records);
//   2. a log writer with no member key (any bytes, copies of old records, any partition);
//   3. the slow thief (one node's disk at a time).
// Part A plays against a real in-process cluster (three nodes, n = 3, k = 2, dev mode). Part B plays the log
// against two nodes' state machines directly (real signed records, real RecordAuthority), so that the order in
// which a node applies two partitions — which no node controls, and which differs between nodes — is chosen by
// the test: nodes must end with the same view whatever that order (I-X1, I-V1).
// Every test asserts the SECURE behaviour. A test named "[VULN-Rn]" played an attack that SUCCEEDED when it
// was written: it fails until the fix named in the red-team report is made.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { collectSuperseded } from '../../src/cluster/index.ts';
import { appendAndApply } from '../../src/cluster/coordinator/coordinator-context.ts';
import type { RefreshAddress, RefreshApplied, RefreshDealing } from '../../src/cluster/refresh-types.ts';
import { DsvError } from '../../src/errors/index.ts';
import { inTransaction } from '../../src/platform/node-database.ts';
import type { LogEntry, RefreshReceipt } from '../../src/secrets/index.ts';
import { receiptDigest, refreshReceiptDigest } from '../../src/secrets/index.ts';
import { RecordAuthority } from '../../src/secrets/record-authority.ts';
import type { RefreshLimits } from '../../src/secrets/refresh-machine.ts';
import { SecretStateMachine } from '../../src/secrets/state-machine.ts';
import { signedTestCluster } from '../../src/secrets/testing/signed-cluster.ts';
import { SqliteShardStore } from '../../src/shards/index.ts';
import { signDigest, SignatureVerifier } from '../../src/trust/index.ts';
import { ViewStore } from '../../src/view/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { EVIL, RED_TEAM_NODES, RED_TEAM_TENANT, refreshRedTeam } from '../testing/refresh-red-team.ts';

const TENANT = RED_TEAM_TENANT;
const USER = 'redteam2';
const NODES = RED_TEAM_NODES;

const isCode = (code: string) => (error: unknown) => error instanceof DsvError && error.code === code;

// -----------------------------------------------------------------------------------------------------------
// Part A: a real cluster
// -----------------------------------------------------------------------------------------------------------
describe('red team 2: proactive share refresh on a cluster', { timeout: 240_000 }, () => {
  let test: TestCluster;
  const {
    url,
    contextOf,
    evil,
    keyOf,
    infoOf,
    partition,
    settle,
    create,
    sign,
    start: startRefresh,
    commit,
    abort,
    placementOf,
    memberOf,
  } = refreshRedTeam({ cluster: () => test, user: USER, sign: appendAndApply });
  const start = (name: string, version = 1): Promise<RefreshAddress> => startRefresh(name, { version });
  /** Reads through the honest nodes (node-0 could answer anything through its own API). */
  const honestReads = async (name: string, version?: number) =>
    Promise.all([1, 2].map((i) => v1.read(url(i), USER, name, version)));

  const deal = async (name: string, address: RefreshAddress): Promise<RefreshDealing[]> =>
    (await Promise.all(address.participants.map((i) => memberOf(name, i).refreshDeal(address)))).flat();
  const applyAll = (
    name: string,
    address: RefreshAddress,
    dealt: RefreshDealing[],
  ): Promise<RefreshApplied[]> =>
    Promise.all(
      address.participants.map((i) =>
        memberOf(name, i).refreshApply({ ...address, dealings: dealt.filter((d) => d.recipient === i) }),
      ),
    );
  /** The honest relay: deal, apply, confirm on every participant; the receipts. */
  const exchange = async (name: string, address: RefreshAddress): Promise<RefreshReceipt[]> => {
    const applied = await applyAll(name, address, await deal(name, address));
    const checks = applied.flatMap((answer) => answer.checks);
    return Promise.all(
      address.participants.map((index) =>
        memberOf(name, index).refreshConfirm({
          ...address,
          checks: checks.filter((check) => check.from !== index && check.subset.includes(index)),
        }),
      ),
    );
  };

  before(async () => {
    test = await startTestCluster({
      nodes: 3,
      shareRefresh: { minIntervalMs: 0, timeoutMs: 5_000, graceMs: 600_000, maxStartsPerSecond: 50 },
    });
  });
  after(async () => {
    await test?.stop();
  });

  it('I-R1: [VULN-R2] node-0 collects every receipt, then runs deal/apply again in the same pending session (each holder forgot it after confirming) and commits the first receipts: honest holders must not end with shares their commitments do not vouch for', async () => {
    await create('restage', 'do not lose me');
    const address = await start('restage');
    const receipts = await exchange('restage', address);
    assert.equal(receipts.length, 3, 'an honest first round');
    // The refresher need not hold the version at all (admit checks only that the caller is the refresher):
    // with more nodes than n, node-0 can do this to versions it has no share of.
    // Round 2 of the same session: every holder deals afresh and re-stages generation 1 over its first row
    // (SqliteShardStore.put upserts on (version, writeId, generation)). No confirm is needed.
    // (Settled, not awaited as a whole: a fixed holder refuses the second round, and the test goes on.)
    const again = await Promise.allSettled(
      address.participants.map((i) => memberOf('restage', i).refreshDeal(address)),
    );
    const dealt = again.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    const restaged = await Promise.allSettled(
      address.participants.map((i) =>
        memberOf('restage', i).refreshApply({ ...address, dealings: dealt.filter((d) => d.recipient === i) }),
      ),
    );
    await commit(address.session, receipts);
    await settle();
    const generations = NODES.map((nodeId) => infoOf('restage', nodeId).generation);
    // The old generation is collected (its grace over) — what happens by itself after graceMs.
    for (const nodeId of NODES) await collectSuperseded(contextOf(nodeId), 0);
    const reads = await honestReads('restage');
    const seen = JSON.stringify({
      restaged: restaged.map((result) => result.status),
      generations,
      reads: reads.map((r) => [r.status, r.code]),
    });
    for (const read of reads) assert.deepEqual([read.status, read.body], [200, 'do not lose me'], seen);
  });

  it('held: receipts signed for version 2 of the same secret do not commit version 1’s session; a refresh racing a new version switches only its own version', async () => {
    await create('two-versions', 'one');
    const first = await start('two-versions', 1);
    assert.equal((await v1.update(url(2), USER, 'two-versions', 'two')).status, 200);
    await settle();
    const second = await start('two-versions', 2);
    const receipts2 = await exchange('two-versions', second);
    await commit(first.session, receipts2); // version 2's receipts, version 1's session
    await settle();
    assert.equal(infoOf('two-versions', 'node-1', 1).generation, 0, 'receipts of another version');
    assert.equal(contextOf('node-2').view.refreshes.get(partition(), first.session)?.state, 'pending');
    await abort(first.session);
    await commit(second.session, receipts2);
    await settle();
    for (const nodeId of NODES) {
      assert.equal(infoOf('two-versions', nodeId, 1).generation, 0, nodeId);
      assert.equal(infoOf('two-versions', nodeId, 2).generation, 1, nodeId);
    }
    const [one, two] = await Promise.all([
      v1.read(url(1), USER, 'two-versions', 1),
      v1.read(url(2), USER, 'two-versions'),
    ]);
    assert.deepEqual([one?.status, one?.body, two?.status, two?.body], [200, 'one', 200, 'two']);
  });

  it('held: a refresh racing a delete — its commit after the delete switches nothing, resurrects nothing, and leaves no staged row', async () => {
    await create('deleted', 'gone for good');
    const address = await start('deleted');
    const receipts = await exchange('deleted', address);
    assert.equal((await v1.remove(url(1), USER, 'deleted')).status, 204);
    await settle();
    await commit(address.session, receipts);
    await settle();
    for (const nodeId of NODES) {
      assert.equal(contextOf(nodeId).view.version(keyOf('deleted'), 1), undefined, nodeId);
      assert.notEqual(
        contextOf(nodeId).view.refreshes.get(partition(), address.session)?.state,
        'committed',
        nodeId,
      );
      const found = await contextOf(nodeId).shards.read({
        key: keyOf('deleted'),
        version: 1,
        writeId: address.writeId,
        generation: 1,
      });
      assert.equal(found, undefined, `${nodeId} holds no generation-1 row`);
    }
    for (const read of await honestReads('deleted')) assert.equal(read.status, 404);
  });

  it('held: share recovery racing a refresh — helpers refuse a recovery of the superseded generation, and node-0’s share-restored of it changes nothing', async () => {
    await create('recovery', 'recover me not');
    const key = keyOf('recovery');
    const before = infoOf('recovery');
    const address = await start('recovery');
    await commit(address.session, await exchange('recovery', address));
    await settle();
    const after = infoOf('recovery');
    assert.equal(after.generation, 1);
    const placement = placementOf('recovery');
    const target = placement.indexOf(EVIL);
    const helpers = [0, 1, 2].filter((i) => i !== target);
    const request = {
      key,
      partition: partition(),
      minOffset: evil().applier.nextOffset(partition()),
      version: 1,
      writeId: before.writeId,
      target,
      helpers,
      session: randomUUID(),
      generation: 0,
    };
    for (const index of helpers) {
      const holder = evil().holders.get(placement[index] ?? '');
      assert.ok(holder);
      await assert.rejects(holder.contribute(request), isCode('DSV_WRITE_CONFLICT'), `helper ${index}`);
    }
    // node-0 restores its own index at generation 0 (its old commitment back): a no-op at generation 1.
    await sign({
      type: 'share-restored',
      tenant: TENANT,
      time: Date.now(),
      namespace: USER,
      name: 'recovery',
      version: 1,
      writeId: before.writeId,
      index: target,
      commitment: before.commitments?.[String(target)] ?? '',
      rid: randomUUID(),
    });
    await settle();
    for (const nodeId of NODES)
      assert.deepEqual(infoOf('recovery', nodeId).commitments, after.commitments, nodeId);
    for (const read of await honestReads('recovery'))
      assert.deepEqual([read.status, read.body], [200, 'recover me not']);
  });

  it('held: an aborted refresh leaves the current generation alone: GC (grace 0) keeps it, the staged rows are gone', async () => {
    await create('gc', 'still here');
    const address = await start('gc');
    await exchange('gc', address);
    await abort(address.session);
    await settle();
    const at = (generation: number) => ({
      key: keyOf('gc'),
      version: 1,
      writeId: address.writeId,
      generation,
    });
    for (const nodeId of NODES) {
      await collectSuperseded(contextOf(nodeId), 0);
      assert.equal(infoOf('gc', nodeId).generation, 0, nodeId);
      assert.ok(await contextOf(nodeId).shards.read(at(0)), `${nodeId} keeps generation 0`);
      assert.equal(contextOf(nodeId).shards.hasCommitted(at(1)), false, `${nodeId} has no generation 1`);
    }
    for (const read of await honestReads('gc'))
      assert.deepEqual([read.status, read.body], [200, 'still here']);
  });
});

// -----------------------------------------------------------------------------------------------------------
// Part B: the same log, two nodes, two interleavings of partitions
// -----------------------------------------------------------------------------------------------------------
const passThrough = {
  kind: 'test',
  seal: async (_: unknown, s: Uint8Array) => s,
  open: async (_: unknown, s: Uint8Array) => s,
};
const DAY = 24 * 60 * 60 * 1000;
/** Tenant `t` lives on partition 0, tenant `u` on partition 1 (each record's home, checked for refresh). */
const home = (tenant: string): number => (tenant === 't' ? 0 : 1);
const LIMITS: RefreshLimits = {
  timeoutMs: 60_000,
  minIntervalMs: 0,
  maxStartsPerSecond: 50,
  partitionOf: home,
};

describe('red team 2: the same log prefix, two partition interleavings', () => {
  const cluster = signedTestCluster('dsv-redteam-refresh-2-');
  const { ids, trust, clusterId, codecOf, endorse } = cluster;
  after(() => cluster.remove());

  interface Appended {
    readonly partition: number;
    readonly offset: number;
    readonly bytes: Uint8Array;
    readonly timestamp: number;
  }
  /** The log: per partition, the signed records appended (what every node consumes). */
  function newLog() {
    const records: Appended[] = [];
    const next = [0, 0];
    const append = (signer: number, partition: number, entry: LogEntry, timestamp: number): number => {
      const offset = next[partition] ?? 0;
      next[partition] = offset + 1;
      records.push({ partition, offset, bytes: codecOf(signer).encode(partition, entry), timestamp });
      return offset;
    };
    return { records, append };
  }

  /** One node: its own view, shard store and state machine, judging with the real authority. */
  function node() {
    const db = new DatabaseSync(':memory:');
    const view = new ViewStore(db);
    const shards = new SqliteShardStore(db, passThrough, 'node-2');
    const refused: string[] = [];
    const sm = new SecretStateMachine(view, shards, {
      pendingTimeoutMs: 60_000,
      refresh: LIMITS,
      authority: new RecordAuthority(
        new SignatureVerifier(trust[2]!.manifest),
        { quorum: 2, writeQuorum: 2, placement: () => ids },
        view,
      ),
      onRefused: (_partition, _offset, reason) => refused.push(reason),
    });
    const applied = [0, 0];
    /** Applies the next `count` records of `partition` (in the partition's own order). */
    const consume = (log: ReturnType<typeof newLog>, partition: number, count = Infinity) => {
      const pending = log.records
        .filter((r) => r.partition === partition && r.offset >= (applied[partition] ?? 0))
        .slice(0, count);
      inTransaction(db, () => {
        for (const record of pending) {
          sm.apply(partition, record.offset, codecOf(2).decode(partition, record.bytes, record.timestamp));
          applied[partition] = record.offset + 1;
        }
      });
    };
    const dump = () =>
      JSON.stringify({
        versions: db
          .prepare(
            `SELECT tenant, namespace, name, version, write_id, generation, commitments, holders
             FROM view_versions ORDER BY tenant, namespace, name, version`,
          )
          .all(),
        refreshes: db
          .prepare(
            `SELECT session, partition, start_offset, tenant, name, state, reason FROM view_refreshes
             ORDER BY session, partition, start_offset`,
          )
          .all(),
      });
    return { view, refused, consume, dump };
  }

  /** Version 1 of `tenant/ns/k`, written by node-0 with every holder's signed stage receipt. */
  function writeVersion(log: ReturnType<typeof newLog>, tenant: string, writeId: string, at: number) {
    const intent: LogEntry = {
      type: 'intent',
      writeId,
      tenant,
      time: at,
      coordinator: 'node-0',
      ops: [{ op: 'create', namespace: 'ns', name: 'k' }],
      endorsements: [],
    };
    log.append(0, home(tenant), { ...intent, endorsements: [endorse(1, intent)] }, at);
    log.append(
      0,
      home(tenant),
      {
        type: 'commit',
        writeId,
        tenant,
        time: at,
        shards: [0, 1, 2].map((i) => ({
          namespace: 'ns',
          name: 'k',
          node: ids[i]!,
          index: i,
          commitment: `c${i}`,
          receipt: signDigest(
            trust[i]!.identity.signingKey,
            receiptDigest(clusterId, {
              writeId,
              tenant,
              namespace: 'ns',
              name: 'k',
              version: 1,
              index: i,
              commitment: `c${i}`,
              node: ids[i]!,
            }),
          ),
        })),
      },
      at,
    );
  }
  const startOf = (tenant: string, writeId: string, session: string, at: number): LogEntry => ({
    type: 'refresh-start',
    tenant,
    time: at,
    namespace: 'ns',
    name: 'k',
    version: 1,
    writeId,
    generation: 1,
    session,
    participants: [0, 1, 2],
  });
  /** Participant i's real receipt for the session opened at (partition, startOffset). */
  const receipt = (
    i: number,
    tenant: string,
    writeId: string,
    session: string,
    partition: number,
    startOffset: number,
  ): RefreshReceipt => {
    const commitment = `n${i}`;
    return {
      index: i,
      node: ids[i]!,
      commitment,
      receipt: signDigest(
        trust[i]!.identity.signingKey,
        refreshReceiptDigest(clusterId, {
          session,
          partition,
          startOffset,
          tenant,
          namespace: 'ns',
          name: 'k',
          version: 1,
          writeId,
          generation: 1,
          index: i,
          commitment,
          node: ids[i]!,
        }),
      ),
    };
  };

  it('I-X1: [VULN-R3] node-0 signs two refresh-starts with ONE session id, on tenant t’s partition and on tenant u’s: which one a node accepts depends on which partition it applied first, and the commit then switches t’s version on some nodes only', () => {
    const log = newLog();
    writeVersion(log, 't', 'wt', 1_000);
    writeVersion(log, 'u', 'wu', 1_000);
    const offsetT = log.append(0, 0, startOf('t', 'wt', 'X', 2_000), 2_000);
    log.append(0, 1, startOf('u', 'wu', 'X', 2_000), 2_000);
    const a = node();
    const b = node();
    a.consume(log, 0);
    a.consume(log, 1);
    b.consume(log, 1);
    b.consume(log, 0);
    // node-0 commits t's refresh with every participant's receipt for the start at (0, offsetT).
    log.append(
      0,
      0,
      {
        type: 'refresh-commit',
        tenant: 't',
        time: 2_100,
        session: 'X',
        receipts: [0, 1, 2].map((i) => receipt(i, 't', 'wt', 'X', 0, offsetT)),
      },
      2_100,
    );
    a.consume(log, 0);
    b.consume(log, 0);
    const generations = [a, b].map(
      (n) => n.view.version({ tenant: 't', namespace: 'ns', name: 'k' }, 1)?.generation,
    );
    assert.deepEqual(
      generations[0],
      generations[1],
      `t's generation per node: ${JSON.stringify(generations)}`,
    );
    assert.equal(a.dump(), b.dump(), 'the same log gives the same view');
  });

  it('I-X1: [VULN-R3b] a start on another partition forgets finished sessions with ITS log time: a session id started again is accepted by nodes that applied that partition first and refused as replayed by the others', () => {
    const log = newLog();
    writeVersion(log, 't', 'wt', 1_000);
    writeVersion(log, 'u', 'wu', 1_000);
    log.append(0, 0, startOf('t', 'wt', 'S', 2_000), 2_000);
    log.append(
      0,
      0,
      { type: 'refresh-abort', tenant: 't', time: 2_000, session: 'S', reason: 'refused' },
      2_000,
    );
    // A day later: a refresh of u (partition 1), then node-0 starts S again on t's partition.
    log.append(1, 1, startOf('u', 'wu', 'U', DAY + 5_000), DAY + 5_000);
    log.append(0, 0, startOf('t', 'wt', 'S', DAY + 5_001), DAY + 5_001);
    const a = node();
    const b = node();
    a.consume(log, 0, 4); // t's version, S started and aborted
    a.consume(log, 1); // u's day-later start: forgets S
    a.consume(log, 0); // S again: accepted
    b.consume(log, 0); // S again while S is still remembered: refused as replayed
    b.consume(log, 1);
    const states = [a, b].map((n) => n.view.refreshes.get(0, 'S')?.state);
    assert.equal(states[0], states[1], `session S per node: ${JSON.stringify(states)}`);
    assert.equal(a.dump(), b.dump(), 'the same log gives the same view');
  });

  it('I-X1: [VULN-R4] node-0 signs a share-restored of its own index, at the refreshed generation, on a partition other than the tenant’s: whether it counts depends on whether the node applied the refresh-commit first', () => {
    const log = newLog();
    writeVersion(log, 't', 'wt', 1_000);
    const startOffset = log.append(1, 0, startOf('t', 'wt', 'R', 2_000), 2_000);
    log.append(
      1,
      0,
      {
        type: 'refresh-commit',
        tenant: 't',
        time: 2_100,
        session: 'R',
        receipts: [0, 1, 2].map((i) => receipt(i, 't', 'wt', 'R', 0, startOffset)),
      },
      2_100,
    );
    log.append(
      0,
      1,
      {
        type: 'share-restored',
        tenant: 't',
        time: 2_050,
        namespace: 'ns',
        name: 'k',
        version: 1,
        writeId: 'wt',
        index: 0,
        commitment: 'node-0-chose-this',
        rid: randomUUID(),
        generation: 1,
      },
      2_050,
    );
    const a = node();
    const b = node();
    a.consume(log, 0);
    a.consume(log, 1);
    b.consume(log, 0, 3); // the version and the start, not yet the commit
    b.consume(log, 1);
    b.consume(log, 0);
    const commitments = [a, b].map(
      (n) => n.view.version({ tenant: 't', namespace: 'ns', name: 'k' }, 1)?.commitments?.['0'],
    );
    assert.equal(
      commitments[0],
      commitments[1],
      `index 0's commitment per node: ${JSON.stringify(commitments)}`,
    );
    assert.equal(a.dump(), b.dump(), 'the same log gives the same view');
  });

  it('held: receipts signed for the same session and offset on ANOTHER partition do not count; a refresh racing a crypto-shred switches nothing and no later start is accepted', () => {
    const log = newLog();
    writeVersion(log, 't', 'wt', 1_000);
    const startOffset = log.append(0, 0, startOf('t', 'wt', 'P', 2_000), 2_000);
    const elsewhere = [0, 1, 2].map((i) => receipt(i, 't', 'wt', 'P', 1, startOffset));
    log.append(
      0,
      0,
      { type: 'refresh-commit', tenant: 't', time: 2_050, session: 'P', receipts: elsewhere },
      2_050,
    );
    const shred: LogEntry = {
      type: 'tenant-shred',
      tenant: 't',
      time: 2_060,
      rid: randomUUID(),
      endorsements: [],
    };
    log.append(0, 0, { ...shred, endorsements: [endorse(1, shred)] }, 2_060);
    const good = [0, 1, 2].map((i) => receipt(i, 't', 'wt', 'P', 0, startOffset));
    log.append(
      0,
      0,
      { type: 'refresh-commit', tenant: 't', time: 2_100, session: 'P', receipts: good },
      2_100,
    );
    log.append(0, 0, startOf('t', 'wt', 'P2', 2_200), 2_200);
    const n = node();
    n.consume(log, 0);
    assert.equal(n.refused[0], 'missing-refresh-receipt', 'receipts of another partition');
    assert.equal(n.view.version({ tenant: 't', namespace: 'ns', name: 'k' }, 1), undefined);
    assert.deepEqual(
      [n.view.refreshes.get(0, 'P')?.state, n.view.refreshes.get(0, 'P')?.reason],
      ['aborted', 'stale'],
    );
    assert.equal(n.view.refreshes.get(0, 'P2'), undefined);
    assert.equal(n.refused.at(-1), 'refresh-shredded');
  });

  it('held: a log writer’s copy of a signed refresh or share-restored record onto another partition does not open (the envelope signs its partition)', () => {
    const entries: LogEntry[] = [
      startOf('t', 'wt', 'copy', 1),
      {
        type: 'refresh-commit',
        tenant: 't',
        time: 1,
        session: 'copy',
        receipts: [receipt(0, 't', 'wt', 'copy', 0, 2)],
      },
      {
        type: 'share-restored',
        tenant: 't',
        time: 1,
        namespace: 'ns',
        name: 'k',
        version: 1,
        writeId: 'wt',
        index: 1,
        commitment: 'x',
        rid: randomUUID(),
      },
    ];
    for (const entry of entries) {
      const bytes = codecOf(1).encode(0, entry);
      assert.ok('entry' in codecOf(2).decode(0, bytes, 1), `${entry.type} opens on its own partition`);
      const copied = codecOf(2).decode(1, bytes, 1);
      assert.deepEqual('rejected' in copied ? copied.rejected : 'opened', 'bad-signature', entry.type);
    }
  });

  it('held: node-0’s own refresh-commit or refresh-abort on the wrong partition is refused; the timeout of a refresh runs on its own partition only', () => {
    const log = newLog();
    writeVersion(log, 't', 'wt', 1_000);
    const startOffset = log.append(0, 0, startOf('t', 'wt', 'W', 2_000), 2_000);
    const receipts = [0, 1, 2].map((i) => receipt(i, 't', 'wt', 'W', 0, startOffset));
    log.append(0, 1, { type: 'refresh-commit', tenant: 't', time: 2_100, session: 'W', receipts }, 2_100);
    log.append(
      0,
      1,
      { type: 'refresh-abort', tenant: 't', time: 2_100, session: 'W', reason: 'refused' },
      2_100,
    );
    // Partition 1's log time runs far past t's refresh timeout: t's refresh must not expire from it.
    log.append(0, 1, { type: 'tick', time: 0 }, 2_000 + 10 * 60_000);
    const n = node();
    n.consume(log, 0);
    n.consume(log, 1);
    assert.deepEqual(n.refused.filter((r) => r === 'wrong-partition').length, 2);
    assert.equal(n.view.refreshes.get(0, 'W')?.state, 'pending');
    assert.equal(n.view.version({ tenant: 't', namespace: 'ns', name: 'k' }, 1)?.generation, 0);
  });
});
