// This node as a shard holder: used directly by its own coordinator and behind its peer API for others.
// It decides every release and every stage itself (trust-boundaries design §5–§7): a stage only from the
// write's coordinator, only for its own index and only while pending; a shard only to an authorised client's
// request, audited here; a recovery contribution only to the placement holder of the missing index.
import { randomUUID } from 'node:crypto';
import type { AuditRecordInput } from '../audit/index.ts';
import {
  approvalAuditTarget,
  mayMakeRecord,
  type AuthorizableRecord,
  type Caller,
  type TokenRecord,
} from '../control/index.ts';
import { DsvError, ERROR_CODES, isDsvError } from '../errors/index.ts';
import { endorsementDigest, receiptDigest, type SecretKey } from '../secrets/index.ts';
import type { SealedShard, ShardStore } from '../shards/index.ts';
import { BLINDING_BYTES, TAG_LENGTH, commitmentMatches, recoveryContribution } from '../sharing/index.ts';
import { signDigest, type ForwardedCredential, type TrustMaterial } from '../trust/index.ts';
import type { PlannedOp, ViewStore, VersionInfo, WriteRecord } from '../view/index.ts';
import type { LogApplier } from './applier.ts';
import { currentShare, splitBlinding } from './held-share.ts';
import { PairSecrets } from './pair-secrets.ts';
import type {
  EndorseRequest,
  RecoveryRequest,
  ReleasedShard,
  ShardHolder,
  ShardReadRequest,
  StageReceipt,
  StageRequest,
} from './shard-holder.ts';

export interface LocalHolderDependencies {
  readonly applier: LogApplier;
  readonly view: ViewStore;
  readonly shards: ShardStore;
  readonly applyTimeoutMs: number;
  readonly trust: TrustMaterial;
  /** Holder node ids of a key in shard-index order (DESIGN §4). */
  readonly placement: (key: SecretKey) => readonly string[];
  readonly threshold: number;
  /** Authenticates a credential a peer forwarded for this node, against this node's control view. */
  readonly authenticate: (credential: ForwardedCredential, tenant: string) => Promise<Caller>;
  readonly tokenOf: (accessor: string) => TokenRecord | undefined;
  /** I-T4: whether a tenant's bootstrap admin was ever named, on this node's control view (endorsing). */
  readonly tenantHasBootstrap?: (tenant: string) => boolean;
  /** This node's audit trail: every release, endorsement and refusal lands here (issue #8). */
  readonly audit: (record: AuditRecordInput) => Promise<void>;
  readonly pathHmac: (key: SecretKey) => string;
  /** Told when a client asked for a shard this node should hold but lacks (holder-driven repair). */
  readonly onMissingShard?: (key: SecretKey, version: VersionInfo) => void;
  /** Capacity limits (I-C5): throws DSV_DISK_FULL when this node's disk is past critical; stages refuse. */
  readonly admitStage?: () => Promise<void>;
  /** The node's value-size limit: a client-side stager's share may be no longer than value ‖ tag allows. */
  readonly maxValueBytes?: number;
  /** The tenant's own partition (placement): a request's causality token counts only there. */
  readonly partitionOf?: (tenant: string) => number;
}

const isAuthError = (error: unknown): boolean =>
  isDsvError(error) && ERROR_CODES[error.code].category === 'auth';

export { splitBlinding } from './held-share.ts';

export class LocalShardHolder implements ShardHolder {
  readonly nodeId: string;
  private readonly deps: LocalHolderDependencies;
  private readonly pairSecrets: PairSecrets;

  constructor(deps: LocalHolderDependencies) {
    this.nodeId = deps.trust.identity.nodeId;
    this.deps = deps;
    this.pairSecrets = new PairSecrets(deps.trust);
  }

  /** Audits a refusal; `actor` is who asked (`node:<id>`, a client's accessor, or `client`/`stager`). */
  private refused(operation: string, actor: string, tenant: string | null, message: string): DsvError {
    void this.deps
      .audit({
        requestId: randomUUID(),
        tenant,
        accessor: actor,
        operation,
        pathHmac: null,
        outcome: 'denied',
        status: 403,
      })
      .catch(() => undefined);
    return new DsvError('DSV_PEER_REJECTED', message);
  }

  /** A stage from the write's coordinator node (I-S4); refused for a client-side write (I-S4c). */
  async stage(request: StageRequest, from = this.nodeId): Promise<StageReceipt[]> {
    return this.stageShards(request, (write) => {
      if (write.coordinator !== from || write.stager !== undefined)
        throw this.refused(
          'peer.stage-refused',
          `node:${from}`,
          request.tenant,
          'Not the coordinator of this write',
        );
    });
  }

  /**
   * Client-side mode (issue #9): a stage straight from the client the intent named as its stager (I-S4c). The
   * holder authenticates the client's credential for this node itself and judges it on its own control view:
   * only that accessor, only while pending, only keys it may create or update.
   */
  async stageForClient(request: StageRequest, credential: ForwardedCredential): Promise<StageReceipt[]> {
    const caller = await this.authenticated(credential, request.tenant, 'client.stage-refused');
    return this.stageShards(request, (write, op) => {
      const allowed =
        write.stager !== undefined &&
        write.stager === caller.accessor &&
        caller.tenant === request.tenant &&
        caller.can(op.op, op.namespace, op.name);
      if (!allowed)
        throw this.refused(
          'client.stage-refused',
          caller.accessor,
          request.tenant,
          'Not the stager of this write',
        );
    });
  }

  /**
   * A client-side intent endorsed at the client's own request (issue #9): the client carries the intent to
   * each endorser with its credential for that node, so no coordinator ever holds a credential usable at
   * another node. Only intents naming the caller as stager (mayMakeRecord, I-S4c).
   */
  endorseForClient(request: EndorseRequest): Promise<string> {
    if (request.entry.type !== 'intent' || request.entry.stager === undefined)
      throw new DsvError('DSV_INPUT_INVALID', 'A client may have only its own client-side intents endorsed');
    return this.endorse(request, 'client');
  }

  /**
   * Catches up to a request's causality token, on its tenant's own partition only: another partition's
   * records say nothing about this tenant (and one that does not exist would only be waited on), so such a
   * request is refused before any wait.
   */
  private async catchUpTo(tenant: string, partition: number, offset: number): Promise<void> {
    if (this.deps.partitionOf !== undefined && this.deps.partitionOf(tenant) !== partition)
      throw new DsvError('DSV_INPUT_INVALID', "The request names a partition other than its tenant's");
    await this.deps.applier.waitApplied(partition, offset, this.deps.applyTimeoutMs);
  }

  /** A shard read straight from a client (issue #9): the same decision and audit as a forwarded read. */
  async readForClient(request: ShardReadRequest): Promise<ReleasedShard | undefined> {
    return this.read(request, 'client');
  }

  private async authenticated(
    credential: ForwardedCredential,
    tenant: string,
    operation: string,
  ): Promise<Caller> {
    try {
      return await this.deps.authenticate(credential, tenant);
    } catch (error) {
      if (!isAuthError(error)) throw error;
      throw this.refused(operation, 'client', tenant, 'The client credential was not accepted');
    }
  }

  /**
   * A share is as long as value ‖ tag, so the holder enforces the node's and the tenant's value-size limits
   * (DESIGN §9) even when it never sees the value (client-side mode).
   */
  private checkValueSize(tenant: string, valueBytes: number): void {
    const quota = this.deps.view.quota(tenant).maxValueBytes;
    const limit = Math.min(quota ?? Infinity, this.deps.maxValueBytes ?? Infinity);
    if (valueBytes > limit)
      throw new DsvError('DSV_VALUE_TOO_LARGE', `Secret value too large (max ${limit} bytes)`);
  }

  private async stageShards(
    request: StageRequest,
    authorize: (write: WriteRecord, op: PlannedOp & { op: 'create' | 'update' }) => void,
  ): Promise<StageReceipt[]> {
    const { view, shards, trust, placement } = this.deps;
    // I-C5: a node past its critical disk threshold stores no new shard, whoever coordinates the write.
    await this.deps.admitStage?.();
    await this.catchUpTo(request.tenant, request.partition, request.minOffset);
    const sealed: SealedShard[] = [];
    const plain: Uint8Array[] = []; // wiped once stored: a sealer may keep the buffer it was given
    const refuse = (message: string) => this.refused('peer.stage-refused', 'stager', request.tenant, message);
    for (const shard of request.shards) {
      const key = { tenant: request.tenant, namespace: shard.namespace, name: shard.name };
      const write = view.write(shard.writeId);
      // I-S4: only the write's stager, only while pending, only this node's own index of a planned op.
      if (write?.state !== 'pending' || write.kind !== 'batch' || write.tenant !== request.tenant)
        throw new DsvError('DSV_WRITE_CONFLICT', 'The write is no longer pending');
      const planned = write.plan.find(
        (op): op is PlannedOp & { op: 'create' | 'update' } =>
          (op.op === 'create' || op.op === 'update') &&
          op.namespace === shard.namespace &&
          op.name === shard.name &&
          op.version === shard.version,
      );
      if (!planned || placement(key)[shard.index] !== this.nodeId) throw refuse('Not a shard of this node');
      authorize(write, planned);
      this.checkValueSize(request.tenant, shard.share.length - TAG_LENGTH);
      const identity = { ...key, version: shard.version };
      if (
        !commitmentMatches(
          shard.commitment,
          identity,
          shard.writeId,
          shard.index,
          shard.blinding,
          shard.share,
        )
      )
        throw refuse('The share does not match its commitment');
      const stored = new Uint8Array(shard.share.length + BLINDING_BYTES);
      stored.set(shard.share, 0);
      stored.set(shard.blinding, shard.share.length);
      sealed.push(
        await shards.seal({ key, version: shard.version, writeId: shard.writeId }, shard.index, stored),
      );
      plain.push(stored);
    }
    // No await from here on: the state check and the inserts form one step, so an abort applied
    // concurrently either happened before (stage refused) or after (it discards these rows) — I-S3.
    for (const shard of sealed) {
      if (view.write(shard.address.writeId)?.state !== 'pending')
        throw new DsvError('DSV_WRITE_CONFLICT', 'The write is no longer pending');
    }
    for (const shard of sealed) shards.put(shard, 'staged');
    for (const buffer of plain) buffer.fill(0);
    // I-X3: the receipt says "durably staged", so the rows are on disk first (one sync for all stages waiting).
    await shards.flush();
    return request.shards.map((shard) => ({
      namespace: shard.namespace,
      name: shard.name,
      node: this.nodeId,
      index: shard.index,
      commitment: shard.commitment,
      receipt: signDigest(
        trust.identity.signingKey,
        receiptDigest(trust.manifest.clusterId, {
          writeId: shard.writeId,
          tenant: request.tenant,
          namespace: shard.namespace,
          name: shard.name,
          version: shard.version,
          index: shard.index,
          commitment: shard.commitment,
          node: this.nodeId,
        }),
      ),
    }));
  }

  async read(request: ShardReadRequest, from = this.nodeId): Promise<ReleasedShard | undefined> {
    const { view, shards } = this.deps;
    await this.catchUpTo(request.key.tenant, request.partition, request.minOffset - 1);
    const { key } = request;
    const info = view.version(key, request.version);
    const latest = view.key(key)?.latestVersion;
    let caller: Caller;
    try {
      caller = await this.deps.authenticate(request.credential, key.tenant);
      const allowed =
        caller.tenant === key.tenant &&
        // A compare lets a node combine shards for an update and answer only "equal or not"; a client that
        // gets the shards themselves learns the value, so to a client a compare is a read (issue #9, I-S5).
        (request.purpose === 'compare' && from !== 'client'
          ? caller.can('update', key.namespace, key.name)
          : caller.can('read', key.namespace, key.name) &&
            (request.version === latest || caller.can('history', key.namespace, key.name)));
      if (!allowed) throw new DsvError('DSV_AUTH_FORBIDDEN');
    } catch (error) {
      if (!isAuthError(error)) throw error;
      throw this.refused(
        'peer.shard-refused',
        from === 'client' ? 'client' : `node:${from}`,
        key.tenant,
        'The client did not authorise this read',
      );
    }
    // A client asking for "the latest" is served only if this version is this holder's latest, so a lying
    // resolver cannot roll its read back (issue #9). Asked only of an authorised caller: to anyone else the
    // answer would tell whether a name exists and which version is latest (I-T1, I-S5).
    if (request.latest === true && latest !== request.version) return undefined;
    // I-A1 on the holder: the release is on this node's own trail before the shard leaves.
    await this.deps.audit({
      requestId: request.requestId,
      tenant: key.tenant,
      accessor: caller.accessor,
      operation: request.purpose === 'compare' ? 'peer.shard-compare' : 'peer.shard-release',
      // I-T4c: a release to root under an approval names it, so the tenant's audit view shows it.
      target: approvalAuditTarget(caller.approvalsUsed) ?? null,
      pathHmac: this.deps.pathHmac(key),
      outcome: 'ok',
      status: 200,
    });
    if (!info || info.writeId !== request.writeId) return undefined;
    // I-R3: the generation the reader resolved, while this holder keeps it (a refresh keeps the previous one
    // for a grace period), so a reader combines shares of one generation; without one, the current.
    const generation = request.generation ?? info.generation;
    const found = await shards.read({ key, version: request.version, writeId: request.writeId, generation });
    // A shard the commit did not vouch for (staged late, no commitment) is not served: it is recovered.
    const vouched = info.commitments === undefined || info.commitments[String(found?.index)] !== undefined;
    if (!found || !vouched) {
      // Only a missing shard of the current generation is this holder's to recover; an older one is gone.
      const current = generation === info.generation;
      if (current && this.deps.placement(key).includes(this.nodeId)) this.deps.onMissingShard?.(key, info);
      return undefined;
    }
    if (info.commitments === undefined) return found;
    return { index: found.index, ...splitBlinding(found.share) };
  }

  async endorse(request: EndorseRequest, from = this.nodeId): Promise<string> {
    const { trust } = this.deps;
    const entry = request.entry;
    const tenant = this.tenantActedIn(entry);
    // The caller is judged on this node's control view, which authentication brings up to date (at most a
    // second stale, as for the public API); the record's own partition is not needed to judge it.
    let caller: Caller;
    try {
      caller = await this.deps.authenticate(request.credential, tenant ?? '');
      if (!mayMakeRecord(caller, entry as AuthorizableRecord, this.deps.tokenOf, this.deps))
        throw new DsvError('DSV_AUTH_FORBIDDEN');
    } catch (error) {
      if (!isAuthError(error)) throw error; // e.g. the log is unreachable: a 503, not a refusal
      throw this.refused(
        'peer.endorse-refused',
        from === 'client' ? 'client' : `node:${from}`,
        tenant ?? null,
        'The client may not make this record',
      );
    }
    await this.deps.audit({
      requestId: request.requestId,
      tenant: tenant ?? null,
      accessor: caller.accessor,
      operation: `peer.endorse.${entry.type}`,
      target: approvalAuditTarget(caller.approvalsUsed) ?? null,
      pathHmac: null,
      outcome: 'ok',
      status: 200,
    });
    return signDigest(trust.identity.signingKey, endorsementDigest(trust.manifest.clusterId, entry));
  }

  /**
   * The tenant a record to endorse acts in, to authenticate its caller for (I-T1): the record's own, or for a
   * token revocation (which names only an accessor) the revoked token's, so that the tenant's admin may end a
   * token of its tenant; a token this node does not know leaves none, and only root passes then.
   */
  private tenantActedIn(entry: EndorseRequest['entry']): string | undefined {
    if ('tenant' in entry && typeof entry.tenant === 'string') return entry.tenant;
    if (entry.type === 'token-revoke') return this.deps.tokenOf(entry.accessor)?.tenant ?? undefined;
    return undefined;
  }

  async contribute(request: RecoveryRequest, from = this.nodeId): Promise<Uint8Array> {
    const { view, shards, placement, threshold } = this.deps;
    await this.catchUpTo(request.key.tenant, request.partition, request.minOffset - 1);
    const { key } = request;
    const holders = placement(key);
    const mine = holders.indexOf(this.nodeId);
    const helpersValid =
      request.helpers.length === threshold &&
      new Set(request.helpers).size === threshold &&
      request.helpers.includes(mine) &&
      !request.helpers.includes(request.target) &&
      request.helpers.every((index) => holders[index] !== undefined);
    // I-S6: only the placement holder of the missing index learns anything, and only its own share.
    if (holders[request.target] !== from || !helpersValid)
      throw this.refused(
        'peer.recovery-refused',
        `node:${from}`,
        key.tenant,
        'Not a valid recovery for this node',
      );
    const info = view.version(key, request.version);
    if (!info || info.writeId !== request.writeId)
      throw new DsvError('DSV_SECRET_NOT_FOUND', 'No such version');
    // Shares of one generation only (I-R1): a recovery that started before a refresh switched is refused.
    if ((request.generation ?? info.generation) !== info.generation)
      throw new DsvError('DSV_WRITE_CONFLICT', 'The version was refreshed since this recovery started');
    const { share } = await currentShare(shards, key, info, mine);
    const others = request.helpers.filter((index) => index !== mine).map((index) => holders[index] ?? '');
    const context = JSON.stringify([
      request.session,
      key.tenant,
      key.namespace,
      key.name,
      request.version,
      request.writeId,
      request.target,
      [...request.helpers].sort((a, b) => a - b),
    ]);
    await this.deps.audit({
      requestId: request.session,
      tenant: key.tenant,
      accessor: `node:${from}`,
      operation: 'peer.recovery-contribute',
      pathHmac: this.deps.pathHmac(key),
      outcome: 'ok',
      status: 200,
    });
    return recoveryContribution({
      target: request.target + 1,
      helper: mine + 1,
      helpers: request.helpers.map((index) => index + 1),
      share,
      pairSecrets: others.map((nodeId) => this.pairSecrets.of(nodeId)),
      context,
    });
  }

  async awaitApplied(partition: number, offset: number, timeoutMs: number): Promise<void> {
    await this.deps.applier.waitApplied(partition, offset, timeoutMs);
  }
}
