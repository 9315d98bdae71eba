// This node as a participant of a proactive share refresh (design 2026-12-02 client-side mode §5; I-R1, I-R2).
// It decides every step itself, against the log's refresh-start: only for the refresher that started it,
// only while it is pending, only for its own index of a version whose current generation is the one before.
//
// 1. deal: a random polynomial δ of degree k − 1 with δ(0) = 0, one sealed value per other participant;
// 2. apply: opens the dealings addressed to it, adds their sum to its share, stages the new share at the new
//    generation beside the current one and syncs it, then answers masked zero-check values;
// 3. confirm: signs its receipt only when every checked subset it is in sums to zero.
// No step ever sees another holder's share: the dealings and checks are masked with pairwise secrets.
import { randomUUID } from 'node:crypto';
import type { AuditRecordInput } from '../audit/index.ts';
import { DsvError } from '../errors/index.ts';
import { faultPoint } from '../platform/fault-points.ts';
import { refreshReceiptDigest, type RefreshReceipt, type SecretKey } from '../secrets/index.ts';
import type { ShardStore } from '../shards/index.ts';
import {
  checkMacContext,
  checkSubsets,
  dealingContext,
  dealZeroPolynomial,
  newBlinding,
  openDealing,
  pairMac,
  pairMacMatches,
  sealDealing,
  shareCommitment,
  subsetContext,
  sumUpdates,
  zeroCheckContribution,
  zeroCheckHolds,
} from '../sharing/index.ts';
import { signDigest, type TrustMaterial } from '../trust/index.ts';
import type { VersionInfo, ViewStore } from '../view/index.ts';
import type { LogApplier } from './applier.ts';
import { currentShare, joinBlinding } from './held-share.ts';
import type { PairSecrets } from './pair-secrets.ts';
import type {
  RefreshAddress,
  RefreshApplied,
  RefreshApplyRequest,
  RefreshConfirmRequest,
  RefreshDealing,
  RefreshPeer,
  ZeroCheckShare,
} from './refresh-types.ts';

export interface RefreshHolderDependencies {
  readonly applier: LogApplier;
  readonly view: ViewStore;
  readonly shards: ShardStore;
  readonly applyTimeoutMs: number;
  readonly trust: TrustMaterial;
  readonly pairSecrets: PairSecrets;
  readonly placement: (key: SecretKey) => readonly string[];
  readonly threshold: number;
  readonly audit: (record: AuditRecordInput) => Promise<void>;
  readonly pathHmac: (key: SecretKey) => string;
}

/** What a participant remembers between its steps, in memory only: a restart abandons the session. */
interface Session {
  readonly createdAt: number;
  /** δ_mine(x_mine): this holder's own dealt value, until it is applied. */
  own?: Uint8Array | undefined;
  dealt?: RefreshDealing[];
  applied?: { readonly answer: RefreshApplied; readonly values: Map<string, Uint8Array> };
  /** The receipt, once signed: a repeated confirm answers it again. */
  receipt?: RefreshReceipt;
}

/** Sessions older than this are forgotten (the log's refresh timeout is shorter). */
const SESSION_TTL_MS = 10 * 60 * 1000;

/**
 * Binds every mask and MAC of a session to the cluster, the start record (I-R4), the version and the
 * generation: nothing dealt or checked for one session can be replayed into another.
 */
export function refreshSessionContext(clusterId: string, request: RefreshAddress): string {
  const { key, version, writeId, generation, session, participants } = request;
  return JSON.stringify([
    'dsv/refresh/v1',
    clusterId,
    session,
    request.partition,
    request.minOffset - 1,
    key.tenant,
    key.namespace,
    key.name,
    version,
    writeId,
    generation,
    participants,
  ]);
}

/** A session as this holder remembers it: its id at its start record (I-R4). */
const sessionKey = (request: RefreshAddress): string =>
  `${request.session}@${request.partition}:${request.minOffset - 1}`;

const subsetKey = (subset: readonly number[]): string => [...subset].sort((a, b) => a - b).join(',');

export class RefreshHolder implements RefreshPeer {
  readonly nodeId: string;
  private readonly deps: RefreshHolderDependencies;
  private readonly sessions = new Map<string, Session>();

  constructor(deps: RefreshHolderDependencies) {
    this.nodeId = deps.trust.identity.nodeId;
    this.deps = deps;
  }

  refreshDeal(request: RefreshAddress, from = this.nodeId): Promise<RefreshDealing[]> {
    return this.deal(request, from);
  }

  refreshApply(request: RefreshApplyRequest, from = this.nodeId): Promise<RefreshApplied> {
    return this.apply(request, from);
  }

  refreshConfirm(request: RefreshConfirmRequest, from = this.nodeId): Promise<RefreshReceipt> {
    return this.confirm(request, from);
  }

  private async deal(request: RefreshAddress, from: string): Promise<RefreshDealing[]> {
    const { info, mine, placement } = await this.admit(request, from);
    const session = this.session(sessionKey(request));
    if (session.dealt) return session.dealt;
    const { share } = await currentShare(this.deps.shards, request.key, info, mine);
    const dealt = dealZeroPolynomial(
      request.participants.map((index) => index + 1),
      this.deps.threshold,
      share.length,
    );
    share.fill(0);
    const base = this.context(request);
    session.own = dealt.get(mine + 1);
    session.dealt = request.participants
      .filter((index) => index !== mine)
      .map((index) => {
        const value = dealt.get(index + 1) ?? new Uint8Array();
        const sealed = sealDealing(
          this.pair(placement, index),
          dealingContext(base, mine + 1, index + 1),
          value,
        );
        value.fill(0);
        return { dealer: mine, recipient: index, ...sealed };
      });
    await this.note(request, from, 'peer.refresh-deal', 'ok');
    return session.dealt;
  }

  private async apply(request: RefreshApplyRequest, from: string): Promise<RefreshApplied> {
    const { info, mine, placement } = await this.admit(request, from);
    const session = this.sessions.get(sessionKey(request));
    if (session?.applied) return session.applied.answer;
    const own = session?.own;
    if (!session || !own)
      throw new DsvError('DSV_WRITE_CONFLICT', 'This holder has not dealt for this refresh');
    const { key, version, writeId, generation } = request;
    const base = this.context(request);
    const others = request.participants.filter((index) => index !== mine);
    const byDealer = new Map(request.dealings.map((dealing) => [dealing.dealer, dealing]));
    const complete =
      request.dealings.length === others.length &&
      others.every((index) => byDealer.get(index)?.recipient === mine);
    if (!complete) throw await this.refusal(request, from, 'The dealings are not one from every participant');
    const parts = [
      own,
      ...others.map((index) => {
        const dealing = byDealer.get(index);
        const context = dealingContext(base, index + 1, mine + 1);
        return openDealing(
          this.pair(placement, index),
          context,
          dealing?.masked ?? new Uint8Array(),
          dealing?.mac ?? '',
        );
      }),
    ];
    const update = sumUpdates(parts);
    const { share } = await currentShare(this.deps.shards, key, info, mine);
    const fresh = sumUpdates([share, update]);
    const blinding = newBlinding();
    const commitment = shareCommitment({ ...key, version }, writeId, mine, blinding, fresh);
    const stored = joinBlinding(fresh, blinding);
    const sealed = await this.deps.shards.seal({ key, version, writeId, generation }, mine, stored);
    for (const buffer of [...parts, share, fresh, stored]) buffer.fill(0);
    // No await from the check to the put: an abort applied concurrently came either first (refused here) or
    // after (it discards this row), as for the stage of a write (I-S3).
    if (this.deps.view.refreshes.get(request.partition, request.session)?.state !== 'pending')
      throw new DsvError('DSV_WRITE_CONFLICT', 'The refresh is no longer pending');
    // I-R1: a participant stages one share per generation, once. A second apply in the same session (this
    // holder restarted, or forgot the session after confirming) would replace the share its receipt vouches
    // for, and the commit of the first receipts would then switch to a share nobody holds.
    if (this.deps.shards.holds({ key, version, writeId, generation }))
      throw new DsvError('DSV_WRITE_CONFLICT', 'This holder already staged its share of this refresh');
    this.deps.shards.put(sealed, 'staged');
    // Durable before anything is signed (as I-S7): a receipt must never vouch for a share a crash could lose.
    await this.deps.shards.flush();
    faultPoint('refresh-after-stage');
    const values = new Map<string, Uint8Array>();
    const checks: ZeroCheckShare[] = [];
    for (const subset of this.subsetsOf(request.participants, mine)) {
      const context = subsetContext(base, subset);
      const xs = subset.map((index) => index + 1);
      const value = zeroCheckContribution({
        x: mine + 1,
        subset: xs,
        update,
        pairSecrets: new Map(
          subset.filter((index) => index !== mine).map((index) => [index + 1, this.pair(placement, index)]),
        ),
        context,
      });
      const macs = Object.fromEntries(
        subset
          .filter((index) => index !== mine)
          .map((index) => [
            String(index),
            pairMac(this.pair(placement, index), checkMacContext(context, mine + 1, index + 1), value),
          ]),
      );
      values.set(subsetKey(subset), value);
      checks.push({ subset, from: mine, value, macs });
    }
    update.fill(0);
    session.own = undefined;
    session.applied = { answer: { index: mine, commitment, checks }, values };
    await this.note(request, from, 'peer.refresh-apply', 'ok');
    return session.applied.answer;
  }

  private async confirm(request: RefreshConfirmRequest, from: string): Promise<RefreshReceipt> {
    const { mine, placement } = await this.admit(request, from);
    const confirmed = this.sessions.get(sessionKey(request))?.receipt;
    if (confirmed) return confirmed;
    const applied = this.sessions.get(sessionKey(request))?.applied;
    if (!applied) throw new DsvError('DSV_WRITE_CONFLICT', 'This holder has not staged for this refresh');
    const base = this.context(request);
    const holds = this.subsetsOf(request.participants, mine).every((subset) => {
      const context = subsetContext(base, subset);
      const parts = [applied.values.get(subsetKey(subset)) ?? new Uint8Array()];
      for (const index of subset) {
        if (index === mine) continue;
        const theirs = request.checks.find(
          (check) => check.from === index && subsetKey(check.subset) === subsetKey(subset),
        );
        const mac = theirs?.macs[String(mine)] ?? '';
        const macContext = checkMacContext(context, index + 1, mine + 1);
        if (!theirs || !pairMacMatches(this.pair(placement, index), macContext, theirs.value, mac))
          return false;
        parts.push(theirs.value);
      }
      return zeroCheckHolds(parts);
    });
    // A dealer whose polynomial does not vanish at 0 would move the value: no receipt, so no switch (I-R2).
    if (!holds) {
      await this.note(request, from, 'peer.refresh-zero-check-failed', 'denied');
      throw new DsvError('DSV_INTEGRITY_FAILED', 'A zero check of this refresh did not hold');
    }
    if (this.deps.view.refreshes.get(request.partition, request.session)?.state !== 'pending')
      throw new DsvError('DSV_WRITE_CONFLICT', 'The refresh is no longer pending');
    const { trust } = this.deps;
    const { commitment } = applied.answer;
    const receipt = signDigest(
      trust.identity.signingKey,
      refreshReceiptDigest(trust.manifest.clusterId, {
        ...request.key,
        session: request.session,
        partition: request.partition,
        startOffset: request.minOffset - 1,
        version: request.version,
        writeId: request.writeId,
        generation: request.generation,
        index: mine,
        commitment,
        node: this.nodeId,
      }),
    );
    await this.note(request, from, 'peer.refresh-confirm', 'ok');
    // Remembered (not forgotten) until the session ages out: a repeated confirm answers the same receipt, and
    // the zero-check values are no longer needed.
    const session = this.sessions.get(sessionKey(request));
    for (const value of applied.values.values()) value.fill(0);
    applied.values.clear();
    const answer = { index: mine, node: this.nodeId, commitment, receipt };
    if (session) session.receipt = answer;
    return answer;
  }

  /**
   * The refresh as the log started it, and this node's part in it. A step from anyone but its refresher, or
   * for anything the start does not name, is refused and audited; a refresh no longer pending is a conflict.
   */
  private async admit(
    request: RefreshAddress,
    from: string,
  ): Promise<{ info: VersionInfo; mine: number; placement: readonly string[] }> {
    const { applier, view, threshold } = this.deps;
    await applier.waitApplied(request.partition, request.minOffset - 1, this.deps.applyTimeoutMs);
    this.prune();
    const { key } = request;
    const refresh = view.refreshes.get(request.partition, request.session);
    if (refresh?.state !== 'pending') throw new DsvError('DSV_WRITE_CONFLICT', 'The refresh is not pending');
    const placement = this.deps.placement(key);
    const mine = placement.indexOf(this.nodeId);
    const matches =
      // I-R4: the session the log opened at exactly this start record, not one replayed or reused.
      refresh.partition === request.partition &&
      refresh.startOffset === request.minOffset - 1 &&
      refresh.refresher === from &&
      refresh.tenant === key.tenant &&
      refresh.namespace === key.namespace &&
      refresh.name === key.name &&
      refresh.version === request.version &&
      refresh.writeId === request.writeId &&
      refresh.generation === request.generation &&
      JSON.stringify(refresh.participants) === JSON.stringify(request.participants) &&
      refresh.participants.includes(mine) &&
      refresh.participants.length >= threshold &&
      threshold >= 2;
    if (!matches) throw await this.refusal(request, from, 'Not a refresh this node takes part in');
    const info = view.version(key, request.version);
    if (info?.writeId !== request.writeId || info.generation !== request.generation - 1)
      throw new DsvError('DSV_WRITE_CONFLICT', 'The version moved since the refresh started');
    return { info, mine, placement };
  }

  private context(request: RefreshAddress): string {
    return refreshSessionContext(this.deps.trust.manifest.clusterId, request);
  }

  /** The checked subsets (as shard indexes) this holder is a member of: the same list on every holder. */
  private subsetsOf(participants: readonly number[], mine: number): number[][] {
    return checkSubsets(
      participants.map((index) => index + 1),
      this.deps.threshold,
    )
      .filter((subset) => subset.includes(mine + 1))
      .map((subset) => subset.map((x) => x - 1));
  }

  private pair(placement: readonly string[], index: number): Uint8Array {
    return this.deps.pairSecrets.of(placement[index] ?? '');
  }

  private session(id: string): Session {
    const existing = this.sessions.get(id);
    if (existing) return existing;
    const created: Session = { createdAt: Date.now() };
    this.sessions.set(id, created);
    return created;
  }

  private forget(id: string): void {
    const session = this.sessions.get(id);
    session?.own?.fill(0);
    for (const value of session?.applied?.values.values() ?? []) value.fill(0);
    this.sessions.delete(id);
  }

  private prune(): void {
    for (const [id, session] of this.sessions)
      if (Date.now() - session.createdAt > SESSION_TTL_MS) this.forget(id);
  }

  private async refusal(request: RefreshAddress, from: string, message: string): Promise<DsvError> {
    await this.note(request, from, 'peer.refresh-refused', 'denied').catch(() => undefined);
    return new DsvError('DSV_PEER_REJECTED', message);
  }

  /** Every step lands on this node's audit trail, refusals included. */
  private note(request: RefreshAddress, from: string, operation: string, outcome: 'ok' | 'denied') {
    return this.deps.audit({
      requestId: request.session.length <= 128 ? request.session : randomUUID(),
      tenant: request.key.tenant,
      accessor: `node:${from}`,
      operation,
      pathHmac: this.deps.pathHmac(request.key),
      outcome,
      status: outcome === 'ok' ? 200 : 403,
    });
  }
}
