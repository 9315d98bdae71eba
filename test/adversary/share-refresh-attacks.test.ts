// Red team of proactive share refresh (issue #9; docs/trust-modes.md "Proactive share refresh", I-R1..I-R3),
// played against a real in-process cluster (three nodes, n = 3, k = 2; dev mode, so that v1 writes and reads
// need no token — every attack below is on the peer API and the log, where dev mode changes nothing).
//   1. node-0 compromised: its keys (it signs log records with its own identity through its coordinator's
//      codec), its pairwise secrets (ECDH with its own agreement key), and its peer calls (it calls the other
//      participants as the refresher, relaying what it likes).
//   2. A log writer: appends arbitrary bytes (and copies of old records) to the log, holds no member key.
//   3. The slow thief: node-0's shard rows before a refresh, node-1's after, opened with the node's own KEK
//      through the node's own shard store (the real stores, nothing re-derived).
//   4. Reads racing a refresh.
// Every test asserts the SECURE behaviour. A test named "[VULN-Rn]" played an attack that SUCCEEDED when it
// was written: it fails until the fix named in the red-team report is made.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { collectSuperseded, PairSecrets } from '../../src/cluster/index.ts';
import { refreshSessionContext } from '../../src/cluster/refresh-holder.ts';
import { appendAndApply } from '../../src/cluster/coordinator/coordinator-context.ts';
import type {
  RefreshAddress,
  RefreshApplied,
  RefreshDealing,
  ZeroCheckShare,
} from '../../src/cluster/refresh-types.ts';
import { DsvError } from '../../src/errors/index.ts';
import type { RefreshReceipt } from '../../src/secrets/index.ts';
import { refreshReceiptDigest } from '../../src/secrets/index.ts';
import {
  checkMacContext,
  dealingContext,
  openDealing,
  pairMac,
  reconstructSecret,
  sealDealing,
  subsetContext,
  type Share,
} from '../../src/sharing/index.ts';
import { signDigest } from '../../src/trust/index.ts';
import { plainRecord } from '../testing/adversary-log-writer.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { appendAsMember } from '../testing/member-append.ts';
import { waitFor } from '../testing/wait.ts';
import { EVIL, RED_TEAM_NODES, RED_TEAM_TENANT, refreshRedTeam } from '../testing/refresh-red-team.ts';

const TENANT = RED_TEAM_TENANT;
const USER = 'redteam';
const NODES = RED_TEAM_NODES;

const isCode = (code: string) => (error: unknown) => error instanceof DsvError && error.code === code;

describe('red team: proactive share refresh', { timeout: 180_000 }, () => {
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
    start,
    commit,
    abort,
    placementOf,
    memberOf,
  } = refreshRedTeam({
    cluster: () => test,
    user: USER,
    sign: (node, partition, entry) => appendAsMember(node, test.dataDir, EVIL, partition, entry),
  });
  /** The value reads back through every node, and every node agrees on the generation. */
  const intact = async (name: string, value: string, generation: number): Promise<void> => {
    await settle();
    for (const nodeId of NODES)
      assert.equal(infoOf(name, nodeId).generation, generation, `generation on ${nodeId}`);
    for (const i of [0, 1, 2]) {
      const read = await v1.read(url(i), USER, name);
      assert.deepEqual([read.status, read.body], [200, value], `read through node-${i}`);
    }
  };
  /** node-0's own pairwise secrets: ECDH with its agreement key (it holds them). */
  const pairs = () => new PairSecrets(evil().trust);
  /** The base context every mask and MAC of a session is bound to (as RefreshHolder computes it). */
  const baseOf = (address: RefreshAddress): string =>
    refreshSessionContext(evil().trust.manifest.clusterId, address);
  const evilIndex = (name: string): number => placementOf(name).indexOf(EVIL);

  interface Tamper {
    dealings?: (dealt: RefreshDealing[]) => RefreshDealing[];
    checks?: (applied: RefreshApplied[]) => ZeroCheckShare[];
    only?: readonly number[];
  }
  /** The refresher's relay (share-refresh.ts exchange), with the compromised node's hands on it. */
  const exchange = async (
    name: string,
    address: RefreshAddress,
    tamper: Tamper = {},
  ): Promise<Array<PromiseSettledResult<RefreshReceipt>>> => {
    const members = (tamper.only ?? address.participants).map((index) => ({
      index,
      peer: memberOf(name, index),
    }));
    let dealt = (await Promise.all(members.map(({ peer }) => peer.refreshDeal(address)))).flat();
    if (tamper.dealings) dealt = tamper.dealings(dealt);
    const applied = await Promise.all(
      members.map(({ index, peer }) =>
        peer.refreshApply({ ...address, dealings: dealt.filter((d) => d.recipient === index) }),
      ),
    );
    const checks = tamper.checks ? tamper.checks(applied) : applied.flatMap((answer) => answer.checks);
    return Promise.allSettled(
      members.map(({ index, peer }) =>
        peer.refreshConfirm({
          ...address,
          checks: checks.filter((check) => check.from !== index && check.subset.includes(index)),
        }),
      ),
    );
  };
  const receiptsOf = (settled: Array<PromiseSettledResult<RefreshReceipt>>): RefreshReceipt[] =>
    settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));

  /**
   * node-0's zero-check values replaced so that every subset it is in sums to zero (it sees the others'
   * values as the relay, and MACs with its own pair secrets): the strongest lie available to one member.
   */
  const lyingChecks =
    (name: string, address: RefreshAddress) =>
    (applied: RefreshApplied[]): ZeroCheckShare[] => {
      const mine = evilIndex(name);
      const all = applied.flatMap((answer) => answer.checks);
      const base = baseOf(address);
      return all.map((check) => {
        if (check.from !== mine) return check;
        const value = new Uint8Array(check.value.length);
        for (const other of all)
          if (other.from !== mine && other.subset.join(',') === check.subset.join(','))
            for (let i = 0; i < value.length; i++) value[i] = (value[i] ?? 0) ^ (other.value[i] ?? 0);
        const context = subsetContext(base, check.subset);
        const macs = Object.fromEntries(
          check.subset
            .filter((index) => index !== mine)
            .map((index) => [
              String(index),
              pairMac(
                pairs().of(placementOf(name)[index] ?? ''),
                checkMacContext(context, mine + 1, index + 1),
                value,
              ),
            ]),
        );
        return { ...check, value, macs };
      });
    };
  /** node-0's own dealings moved by `shift(recipient)` (re-sealed with its own pair secrets: valid MACs). */
  const shiftedDealings =
    (name: string, address: RefreshAddress, shift: (recipient: number) => number) =>
    (dealt: RefreshDealing[]): RefreshDealing[] => {
      const mine = evilIndex(name);
      const base = baseOf(address);
      return dealt.map((dealing) => {
        if (dealing.dealer !== mine) return dealing;
        const secret = pairs().of(placementOf(name)[dealing.recipient] ?? '');
        const context = dealingContext(base, mine + 1, dealing.recipient + 1);
        const value = openDealing(secret, context, dealing.masked, dealing.mac);
        const delta = shift(dealing.recipient);
        for (let i = 0; i < value.length; i++) value[i] = (value[i] ?? 0) ^ delta;
        return { ...dealing, ...sealDealing(secret, context, value) };
      });
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

  // ---------------------------------------------------------------------------------------------------------
  // 1. node-0 compromised
  // ---------------------------------------------------------------------------------------------------------
  describe('1. one compromised node (node-0) as refresher and dealer', () => {
    it('I-R2: a dealing with a non-zero constant term (node-0 also lying in its zero checks) gets no honest receipt; nothing changes', async () => {
      await create('nonzero', 'the value stays');
      const address = await start('nonzero');
      const settled = await exchange('nonzero', address, {
        dealings: shiftedDealings('nonzero', address, () => 0x5a),
        checks: lyingChecks('nonzero', address),
      });
      const honest = address.participants.filter((index) => index !== evilIndex('nonzero'));
      const signed = receiptsOf(settled).filter((receipt) => honest.includes(receipt.index));
      assert.ok(
        signed.length < honest.length,
        `honest receipts: ${JSON.stringify(signed.map((r) => r.index))}`,
      );
      await commit(address.session, receiptsOf(settled));
      await abort(address.session);
      await intact('nonzero', 'the value stays', 0);
    });

    it('I-R2: inconsistent dealings (off any zero-constant polynomial, to one honest holder only) are caught', async () => {
      await create('inconsistent', 'still consistent');
      const address = await start('inconsistent');
      const victim = address.participants.find((index) => index !== evilIndex('inconsistent')) ?? -1;
      const settled = await exchange('inconsistent', address, {
        dealings: shiftedDealings('inconsistent', address, (recipient) => (recipient === victim ? 1 : 0)),
        checks: lyingChecks('inconsistent', address),
      });
      const honest = address.participants.filter((index) => index !== evilIndex('inconsistent'));
      const signed = receiptsOf(settled).filter((receipt) => honest.includes(receipt.index));
      assert.ok(signed.length < honest.length, 'an honest holder refused to sign');
      await commit(address.session, receiptsOf(settled));
      await abort(address.session);
      await intact('inconsistent', 'still consistent', 0);
    });

    it('node-0 may corrupt only its OWN new share (its dealing to itself): honest shares stay consistent and every read still returns the value', async () => {
      // node-0's new share is only ever its own business: it can stage, and later hold, anything for its own
      // index (as it could delete its share without any refresh). Played here as an honest exchange, then
      // node-0 overwriting its committed generation-1 row with garbage under its own KEK.
      await create('own-garbage', 'reads survive');
      const address = await start('own-garbage');
      const settled = await exchange('own-garbage', address);
      const receipts = receiptsOf(settled);
      assert.equal(receipts.length, address.participants.length, 'an honest exchange');
      await commit(address.session, receipts);
      await settle();
      // node-0 now overwrites its committed generation-1 row with garbage (it owns its disk and KEK).
      const info = infoOf('own-garbage', EVIL);
      const mine = evilIndex('own-garbage');
      const sealed = await evil().shards.seal(
        { key: keyOf('own-garbage'), version: 1, writeId: info.writeId, generation: info.generation },
        mine,
        new Uint8Array(64).fill(7),
      );
      evil().shards.put(sealed, 'committed');
      for (const i of [1, 2]) {
        const read = await v1.read(url(i), USER, 'own-garbage');
        assert.deepEqual([read.status, read.body], [200, 'reads survive'], `read through node-${i}`);
      }
    });

    it('I-R2: a dealing tampered in relay (bit flipped, misaddressed, or from another session) is refused by its recipient', async () => {
      await create('relay', 'not altered');
      const address = await start('relay');
      const honestDealer = address.participants.find((index) => index !== evilIndex('relay')) ?? -1;
      const recipient =
        address.participants.find((index) => index !== evilIndex('relay') && index !== honestDealer) ?? -1;
      const dealt = (
        await Promise.all(address.participants.map((i) => memberOf('relay', i).refreshDeal(address)))
      ).flat();
      const original = dealt.find((d) => d.dealer === honestDealer && d.recipient === recipient);
      assert.ok(original);
      const others = dealt.filter((d) => d.recipient === recipient && d.dealer !== honestDealer);
      const flipped = {
        ...original,
        masked: Uint8Array.from(original.masked, (b, i) => (i === 0 ? b ^ 1 : b)),
      };
      // First variant caches nothing (apply refuses before staging), so each can be tried in turn.
      await assert.rejects(
        memberOf('relay', recipient).refreshApply({ ...address, dealings: [...others, flipped] }),
        isCode('DSV_INTEGRITY_FAILED'),
        'a flipped bit',
      );
      // node-0's dealing to the honest dealer, relabelled as for the recipient: the MAC binds the pair.
      const toDealer = dealt.find((d) => d.dealer === evilIndex('relay') && d.recipient === honestDealer);
      assert.ok(toDealer);
      const misaddressed = { ...original, masked: toDealer.masked, mac: toDealer.mac };
      await assert.rejects(
        memberOf('relay', recipient).refreshApply({ ...address, dealings: [...others, misaddressed] }),
        isCode('DSV_INTEGRITY_FAILED'),
        'misaddressed',
      );
      await abort(address.session);
      // The same dealer's dealing of an earlier session, replayed into a new one.
      const second = await start('relay');
      const fresh = (
        await Promise.all(second.participants.map((i) => memberOf('relay', i).refreshDeal(second)))
      ).flat();
      const replay = fresh.map((d) =>
        d.dealer === honestDealer && d.recipient === recipient ? original : d,
      );
      await assert.rejects(
        memberOf('relay', recipient).refreshApply({
          ...second,
          dealings: replay.filter((d) => d.recipient === recipient),
        }),
        isCode('DSV_INTEGRITY_FAILED'),
        'replayed from another session',
      );
      await abort(second.session);
      await intact('relay', 'not altered', 0);
    });

    it('I-R1: a commit with forged, altered, missing or foreign receipts does not switch the generation', async () => {
      await create('receipts', 'receipts hold');
      const address = await start('receipts');
      const receipts = receiptsOf(await exchange('receipts', address));
      assert.equal(receipts.length, 3);
      const victim = receipts.find((r) => r.node !== EVIL);
      assert.ok(victim);
      const forged = {
        ...victim,
        receipt: signDigest(
          evil().trust.identity.signingKey,
          refreshReceiptDigest(evil().trust.manifest.clusterId, {
            ...address.key,
            session: address.session,
            partition: address.partition,
            startOffset: address.minOffset - 1,
            version: 1,
            writeId: address.writeId,
            generation: address.generation,
            index: victim.index,
            commitment: victim.commitment,
            node: victim.node,
          }),
        ),
      };
      const altered = { ...victim, commitment: Buffer.alloc(32, 1).toString('base64') };
      const asEvil = { ...forged, node: EVIL };
      const others = receipts.filter((r) => r !== victim);
      const cases: Array<[string, Array<RefreshReceipt | undefined>]> = [
        ['node-0 signed the victim’s receipt', [...others, forged]],
        ['the commitment was altered', [...others, altered]],
        ['the victim’s index claimed by node-0', [...others, asEvil]],
        ['a participant dropped', others],
        ['a receipt twice in place of another', [...others, others[0]]],
      ];
      for (const [label, set] of cases) {
        await commit(
          address.session,
          set.filter((r): r is RefreshReceipt => r !== undefined),
        );
        await settle();
        assert.equal(infoOf('receipts').generation, 0, label);
        assert.equal(
          contextOf('node-1').view.refreshes.get(partition(), address.session)?.state,
          'pending',
          label,
        );
      }
      // Receipts of this session for another session of the same version.
      await abort(address.session);
      const second = await start('receipts');
      await commit(second.session, receipts);
      await settle();
      assert.equal(infoOf('receipts').generation, 0, 'receipts of another session');
      await abort(second.session);
      await intact('receipts', 'receipts hold', 0);
    });

    it('I-R1: a participant dropped from the start, or from the exchange, cannot be committed around', async () => {
      await create('dropped', 'everyone signs');
      const info = infoOf('dropped', EVIL);
      const all = Object.keys(info.commitments ?? {})
        .map(Number)
        .sort((a, b) => a - b);
      const two = all.filter((index) => index !== all.find((i) => i !== evilIndex('dropped')));
      // Start naming only two participants: refused by the state machine, so no honest node takes part.
      const narrowed = await start('dropped', { participants: two });
      await settle();
      for (const nodeId of NODES)
        assert.equal(contextOf(nodeId).view.refreshes.get(partition(), narrowed.session), undefined, nodeId);
      await assert.rejects(
        memberOf('dropped', two[1] ?? 0).refreshDeal(narrowed),
        isCode('DSV_WRITE_CONFLICT'),
      );
      // Start with everyone, exchange with two, commit the two receipts.
      const address = await start('dropped');
      // Every honest participant refuses to apply without a dealing from every participant the log names.
      await assert.rejects(exchange('dropped', address, { only: two }), isCode('DSV_PEER_REJECTED'));
      await abort(address.session);
      await intact('dropped', 'everyone signs', 0);
    });

    it('refresh-starts the state machine must refuse: a stale or skipped generation, another version, a session taken, the wrong partition', async () => {
      await create('starts', 'no stray starts');
      const refused = [
        await start('starts', { generation: 2 }),
        await start('starts', { generation: 0 }),
        await start('starts', { claimedVersion: 7 }),
      ];
      const wrongPartition = randomUUID();
      const info = infoOf('starts', EVIL);
      await appendAndApply(evil(), (partition() + 1) % evil().log.partitionCount, {
        type: 'refresh-start',
        tenant: TENANT,
        time: Date.now(),
        namespace: USER,
        name: 'starts',
        version: 1,
        writeId: info.writeId,
        generation: 1,
        session: wrongPartition,
        participants: Object.keys(info.commitments ?? {}).map(Number),
      });
      await settle();
      for (const nodeId of NODES)
        for (const session of [...refused.map((a) => a.session), wrongPartition])
          assert.equal(
            contextOf(nodeId).view.refreshes.get(partition(), session),
            undefined,
            `${nodeId} ${session}`,
          );
      // A session id already used (even for another version) is refused.
      const first = await start('starts');
      await abort(first.session);
      await create('starts-2', 'other');
      await start('starts-2', { session: first.session });
      await settle();
      assert.equal(contextOf('node-1').view.refreshes.get(partition(), first.session)?.name, 'starts');
      await intact('starts', 'no stray starts', 0);
    });

    it('I-R2: node-0 learns nothing from dealings addressed to others, and cannot drive a refresh it did not start', async () => {
      await create('curious', 'none of your business');
      const address = await start('curious');
      const mine = evilIndex('curious');
      const dealt = (
        await Promise.all(address.participants.map((i) => memberOf('curious', i).refreshDeal(address)))
      ).flat();
      const foreign = dealt.filter((d) => d.dealer !== mine && d.recipient !== mine);
      assert.ok(foreign.length > 0);
      for (const dealing of foreign)
        for (const nodeId of NODES.filter((id) => id !== EVIL))
          assert.throws(
            () =>
              openDealing(
                pairs().of(nodeId),
                dealingContext(baseOf(address), dealing.dealer + 1, dealing.recipient + 1),
                dealing.masked,
                dealing.mac,
              ),
            isCode('DSV_INTEGRITY_FAILED'),
          );
      await abort(address.session);
      // A refresh node-1 started: node-0's calls are refused (only the refresher relays).
      const node1 = contextOf('node-1');
      const info = infoOf('curious', 'node-1');
      const session = randomUUID();
      const offset = await appendAndApply(node1, partition(), {
        type: 'refresh-start',
        tenant: TENANT,
        time: Date.now(),
        namespace: USER,
        name: 'curious',
        version: 1,
        writeId: info.writeId,
        generation: 1,
        session,
        participants: address.participants,
      });
      const theirs = { ...address, session, minOffset: offset + 1 };
      const target = address.participants.find((i) => placementOf('curious')[i] === 'node-2') ?? -1;
      await assert.rejects(memberOf('curious', target).refreshDeal(theirs), isCode('DSV_PEER_REJECTED'));
      await appendAndApply(node1, partition(), {
        type: 'refresh-abort',
        tenant: TENANT,
        time: Date.now(),
        session,
        reason: 'refused',
      });
      await intact('curious', 'none of your business', 0);
    });

    it('a flood of refresh-starts is rate-limited in log time and does not stop writes', async () => {
      const names = Array.from({ length: 8 }, (_, i) => `flood-${i}`);
      for (const name of names) await create(name, name);
      const limit = 50;
      const sessions: string[] = [];
      // Start, abort, start again… as fast as node-0 can sign.
      const began = Date.now();
      for (let round = 0; round < 10 && Date.now() - began < 900; round++)
        for (const name of names) {
          const address = await start(name);
          sessions.push(address.session);
          await abort(address.session);
        }
      await settle();
      const view = contextOf('node-1').view.refreshes;
      const accepted = sessions.filter((s) => view.get(partition(), s) !== undefined).length;
      assert.ok(accepted <= limit + 1, `accepted ${accepted} of ${sessions.length} starts within ~1 s`);
      const write = await v1.create(url(2), USER, 'during-flood', 'written');
      assert.equal(write.status, 201);
      for (const name of names) await intact(name, name, 0);
      // The limit's window is one second of log time (the embedded log's append clock): let this flood's
      // window close, so that the refreshes of the tests after it are not rate-limited by it.
      const lastStart = Math.max(...sessions.map((s) => view.get(partition(), s)?.startedAt ?? 0));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastStart + 1_050 - Date.now())));
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // 2. A log writer
  // ---------------------------------------------------------------------------------------------------------
  describe('2. a log writer (no member key)', () => {
    it('forged refresh records are refused; a replayed old refresh-commit cannot roll the generation back', async () => {
      await create('rollback', 'version one');
      const node1 = contextOf('node-1');
      const { log } = node1;
      const p = partition();
      // Two honest refreshes by node-1: generation 0 → 1 → 2. The log writer keeps the bytes of each record.
      const from = await log.endOffset(p);
      const { refreshVersion } = await import('../../src/cluster/index.ts');
      assert.equal((await refreshVersion(node1, keyOf('rollback'), 1)).state, 'committed');
      const mid = await log.endOffset(p);
      assert.equal((await refreshVersion(node1, keyOf('rollback'), 1)).state, 'committed');
      await settle();
      assert.equal(infoOf('rollback').generation, 2);
      const firstRefresh = await log.read(p, from, { maxRecords: mid - from, maxWaitMs: 0 });
      // Plain (unsigned) refresh records, naming node-0 as signer in the body.
      const info = infoOf('rollback');
      for (const body of [
        {
          type: 'refresh-start',
          tenant: TENANT,
          time: Date.now(),
          namespace: USER,
          name: 'rollback',
          version: 1,
          writeId: info.writeId,
          generation: 3,
          session: randomUUID(),
          participants: [0, 1, 2],
          signer: EVIL,
        },
      ])
        await log.append(p, '', plainRecord(body));
      // Replay every record of the first refresh (its start and commit, byte for byte).
      for (const record of firstRefresh) await log.append(p, '', record.value);
      await settle();
      for (const nodeId of NODES) {
        const now = contextOf(nodeId).view.version(keyOf('rollback'), 1);
        assert.equal(now?.generation, 2, nodeId);
        assert.deepEqual(now?.commitments, info.commitments, nodeId);
        assert.equal(contextOf(nodeId).view.refreshes.pendingFor(keyOf('rollback'), 1), undefined, nodeId);
      }
      await intact('rollback', 'version one', 2);
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // 3. The slow thief
  // ---------------------------------------------------------------------------------------------------------
  describe('3. the slow thief (the real shard stores, each node’s own KEK)', () => {
    it('node-0’s rows stolen before a refresh and node-1’s after do not combine; after GC node-0 holds only the new generation', async () => {
      await create('slow', 'worth stealing');
      const key = keyOf('slow');
      const { writeId } = infoOf('slow');
      const steal = async (nodeId: string, generation: number): Promise<Share | undefined> => {
        const found = await contextOf(nodeId).shards.read({ key, version: 1, writeId, generation });
        return found
          ? { x: found.index + 1, y: found.share.subarray(0, found.share.length - 32) }
          : undefined;
      };
      const early = await steal('node-0', 0);
      assert.ok(early, 'node-0 held generation 0');
      const { refreshVersion } = await import('../../src/cluster/index.ts');
      assert.equal((await refreshVersion(contextOf('node-2'), key, 1)).state, 'committed');
      await settle();
      for (const nodeId of NODES) await collectSuperseded(contextOf(nodeId), 0);
      const late = await steal('node-1', 1);
      assert.ok(late, 'node-1 holds generation 1');
      assert.throws(
        () => reconstructSecret({ ...key, version: 1 }, [early, late], 2),
        isCode('DSV_INTEGRITY_FAILED'),
      );
      assert.equal(await steal('node-0', 0), undefined, 'generation 0 is gone from node-0 after GC');
      assert.equal(await steal('node-1', 0), undefined, 'and from node-1');
      const again = await steal('node-0', 1);
      assert.ok(again);
      assert.equal(
        new TextDecoder().decode(reconstructSecret({ ...key, version: 1 }, [again, late], 2)),
        'worth stealing',
        'sanity: two shares of one generation do combine',
      );
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // 4. Reads and the grace period; the session replay (last: it moves the partition's log time a day on)
  // ---------------------------------------------------------------------------------------------------------
  describe('4. generations and time', () => {
    /** Moves the partition's log time a day past where it is now: the embedded log stamps with Date.now(). */
    const aDayLater = async (work: () => Promise<void>): Promise<void> => {
      const realNow = Date.now;
      const ahead = Math.max(0, evil().view.applied(partition()).logTime - realNow()) + 25 * 60 * 60 * 1000;
      Date.now = () => realNow() + ahead;
      try {
        await work();
      } finally {
        Date.now = realNow;
      }
    };

    it('I-R4: [VULN-R1b] a log writer replays, a day later, the start and the late (timed-out) commit of an honest slow refresh: the version must not switch to discarded shares', async () => {
      await create('late-commit', 'slow but safe');
      await create('trigger-b', 'x');
      const p = partition();
      const from = await evil().log.endOffset(p);
      // An honest refresher whose exchange outlasted the timeout (5 s here): its commit lands after the
      // log-time timeout aborted the refresh, so it is a no-op and every staged row is discarded.
      const address = await start('late-commit');
      const receipts = receiptsOf(await exchange('late-commit', address));
      assert.equal(receipts.length, 3);
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      await commit(address.session, receipts);
      await settle();
      assert.equal(contextOf('node-1').view.refreshes.get(partition(), address.session)?.state, 'aborted');
      assert.equal(infoOf('late-commit').generation, 0);
      const records = await evil().log.read(p, from, { maxRecords: 100, maxWaitMs: 0 });
      // A day later any refresh-start (the schedule's) forgets finished refreshes…
      await aDayLater(async () => {
        const trigger = await start('trigger-b');
        await abort(trigger.session);
        await settle();
      });
      // …and the log writer appends the old records again, byte for byte (it holds no key).
      for (const record of records) await evil().log.append(p, '', record.value);
      await settle();
      const generations = NODES.map((nodeId) => infoOf('late-commit', nodeId).generation);
      const reads = await Promise.all([0, 1, 2].map((i) => v1.read(url(i), USER, 'late-commit')));
      const seen = JSON.stringify({ generations, reads: reads.map((r) => [r.status, r.body.slice(0, 80)]) });
      assert.deepEqual(generations, [0, 0, 0], `switched to shares every holder discarded: ${seen}`);
      for (const read of reads) assert.deepEqual([read.status, read.body], [200, 'slow but safe'], seen);
    });

    it('I-R4: [VULN-R1] node-0 reuses an aborted session after it was forgotten (24 h of log time) and commits its saved receipts: the version must not switch to discarded shares', async () => {
      await create('replayed-session', 'must survive');
      // A full honest exchange, receipts kept, then aborted: every participant discards its staged row.
      const address = await start('replayed-session');
      const receipts = receiptsOf(await exchange('replayed-session', address));
      assert.equal(receipts.length, 3);
      await abort(address.session);
      await settle();
      await waitFor(() => NODES.every((nodeId) => contextOf(nodeId).shards.counts().staged === 0), 10_000);
      // A day passes in log time; any start then forgets finished refreshes (another version's).
      await create('trigger', 'x');
      await aDayLater(async () => {
        const trigger = await start('trigger');
        await abort(trigger.session);
        await settle();
      });
      // The forgotten session, started again by the same refresher, and its old receipts committed.
      await start('replayed-session', { session: address.session });
      await commit(address.session, receipts);
      await settle();
      const generations = NODES.map((nodeId) => infoOf('replayed-session', nodeId).generation);
      const reads = await Promise.all([0, 1, 2].map((i) => v1.read(url(i), USER, 'replayed-session')));
      const seen = JSON.stringify({ generations, reads: reads.map((r) => [r.status, r.body.slice(0, 80)]) });
      assert.deepEqual(generations, [0, 0, 0], `switched to shares every holder discarded: ${seen}`);
      for (const read of reads) assert.deepEqual([read.status, read.body], [200, 'must survive'], seen);
    });
  });
});
