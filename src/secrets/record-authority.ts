// Who may make a record take effect (trust-boundaries design §4; I-T3): a record signed by one node alone
// grants, destroys, commits or aborts nothing that node was not entitled to. Pure function of the record, the
// manifest and the view (I-X1), so every node reaches the same verdict.
import type { Endorsement } from '../control/index.ts';
import { OPERATOR, type SignatureVerifier } from '../trust/index.ts';
import type { RefreshRecord, ViewStore, WriteRecord } from '../view/index.ts';
import type { CommitEntry, LogEntry, SecretKey } from './log-entry.ts';
import { endorsementDigest, receiptDigest, refreshReceiptDigest } from './record-digests.ts';
import type { RefreshCommitEntry, RefreshReceipt } from './refresh-entry.ts';

export interface AuthorityParams {
  /** Endorsements (the signer's own included) a grant, destruction or intent needs: k by default. */
  readonly quorum: number;
  /** Write quorum W: receipts a commit needs per written key (I-X3). */
  readonly writeQuorum: number;
  /** The placement of a key: holder node ids in shard-index order (DESIGN §4). */
  readonly placement: (key: SecretKey) => readonly string[];
}

const AUTHORITY_TYPES = new Set([
  'tenant-create',
  'token-create',
  'token-revoke',
  'policy-put',
  'policy-delete',
  'quota-set',
  'keys-rotate',
  'tenant-shred',
  'hold-place',
  'hold-release',
  'tenant-key-set',
  'tenant-key-revoke',
  'approval-grant',
  'approval-revoke',
  'approval-break-glass',
]);

export const isAuthorityRecord = (entry: LogEntry): boolean => AUTHORITY_TYPES.has(entry.type);

export class RecordAuthority {
  private readonly verifier: SignatureVerifier;
  private readonly params: AuthorityParams;
  private readonly view: ViewStore;

  constructor(verifier: SignatureVerifier, params: AuthorityParams, view: ViewStore) {
    this.verifier = verifier;
    this.params = params;
    this.view = view;
  }

  private liveMember(nodeId: string, partition: number): boolean {
    return this.verifier.isMember(nodeId) && !this.view.isNodeRevoked(nodeId, partition);
  }

  /** The reason a signed record may not take effect, or undefined. Commits and aborts: see `forWrite`. */
  refusal(partition: number, signer: string, entry: LogEntry): string | undefined {
    if (signer !== OPERATOR && !this.liveMember(signer, partition)) return 'revoked-signer';
    switch (entry.type) {
      case 'intent':
        if (signer !== entry.coordinator || signer === OPERATOR) return 'coordinator-mismatch';
        return this.endorsed(partition, signer, entry, entry.endorsements) ? undefined : 'not-endorsed';
      case 'node-revoke':
        return signer === OPERATOR ? undefined : 'operator-only';
      case 'approval-break-glass':
        // I-T4: break-glass is the operator key's alone; no quorum of nodes (nor root) can make one.
        if (signer !== OPERATOR) return 'operator-only';
        return this.view.firstUseOfRid(entry.rid) ? undefined : 'replayed';
      case 'tick':
        return signer === OPERATOR ? 'operator-only' : undefined;
      case 'share-restored': {
        const key = { tenant: entry.tenant, namespace: entry.namespace, name: entry.name };
        if (this.params.placement(key)[entry.index] !== signer) return 'not-the-holder';
        // A copy of an older restore would set an older commitment back: each restore applies once.
        return entry.rid !== undefined && this.view.firstUseOfRid(entry.rid) ? undefined : 'replayed';
      }
      case 'commit':
      case 'abort':
        return signer === OPERATOR ? 'operator-only' : undefined;
      case 'refresh-start':
      case 'refresh-commit':
      case 'refresh-abort':
        // The refresher's own records (I-R1): no client asks for a refresh, so no endorsement; the commit
        // counts only from the refresher and only with every participant's receipt (`refreshReceipts`).
        return signer === OPERATOR ? 'operator-only' : undefined;
      default:
        if (!isAuthorityRecord(entry)) return 'unknown-kind';
        if (
          signer !== OPERATOR &&
          !this.endorsed(
            partition,
            signer,
            entry,
            (entry as unknown as { endorsements: Endorsement[] }).endorsements,
          )
        )
          return 'not-endorsed';
        return this.view.firstUseOfRid((entry as unknown as { rid: string }).rid) ? undefined : 'replayed';
    }
  }

  /** Commits and aborts count only from the node that signed the write's intent. */
  forWrite(_partition: number, signer: string, write: WriteRecord): string | undefined {
    return write.coordinator === undefined || write.coordinator === signer
      ? undefined
      : 'not-the-coordinator';
  }

  /**
   * The commit's receipts for each written key: at least W distinct placement holders, each at its own
   * index, each receipt verifying. Returns the verified shards per key identity, or a refusal.
   */
  verifiedShards(
    partition: number,
    entry: CommitEntry,
    write: WriteRecord,
  ): { refusal: string } | { shards: Map<string, CommitEntry['shards'][number][]> } {
    const byKey = new Map<string, CommitEntry['shards'][number][]>();
    const unchanged = new Set(entry.unchanged ?? []);
    for (const [index, op] of write.plan.entries()) {
      if ((op.op !== 'create' && op.op !== 'update') || unchanged.has(index)) continue;
      const key = { tenant: write.tenant, namespace: op.namespace, name: op.name };
      const placement = this.params.placement(key);
      const seen = new Set<string>();
      const good = entry.shards.filter((shard) => {
        if (shard.namespace !== op.namespace || shard.name !== op.name || seen.has(shard.node)) return false;
        if (placement[shard.index] !== shard.node || !this.liveMember(shard.node, partition)) return false;
        const digest = receiptDigest(this.verifier.clusterId, {
          writeId: write.writeId,
          tenant: write.tenant,
          namespace: op.namespace,
          name: op.name,
          version: op.version,
          index: shard.index,
          commitment: shard.commitment,
          node: shard.node,
        });
        if (!this.verifier.verify(shard.node, digest, shard.receipt)) return false;
        seen.add(shard.node);
        return true;
      });
      if (good.length < this.params.writeQuorum) return { refusal: 'too-few-receipts' };
      byKey.set(JSON.stringify([op.namespace, op.name]), good);
    }
    return { shards: byKey };
  }

  /**
   * A refresh-commit's receipts (I-R1): one per participant of the refresh, each from the placement holder of
   * its index, a live member, signing this session, generation and commitment. Every participant must have
   * signed — a participant that did not stage, or whose zero check failed, holds the switch back.
   */
  refreshReceipts(
    partition: number,
    entry: RefreshCommitEntry,
    refresh: RefreshRecord,
  ): { refusal: string } | { receipts: RefreshReceipt[] } {
    const placement = this.params.placement(refresh);
    const good = new Map<number, RefreshReceipt>();
    for (const receipt of entry.receipts) {
      if (!refresh.participants.includes(receipt.index) || good.has(receipt.index)) continue;
      if (placement[receipt.index] !== receipt.node || !this.liveMember(receipt.node, partition)) continue;
      const digest = refreshReceiptDigest(this.verifier.clusterId, { ...refresh, ...receipt });
      if (this.verifier.verify(receipt.node, digest, receipt.receipt)) good.set(receipt.index, receipt);
    }
    const receipts = refresh.participants.flatMap((index) => good.get(index) ?? []);
    return receipts.length === refresh.participants.length
      ? { receipts }
      : { refusal: 'missing-refresh-receipt' };
  }

  private endorsed(
    partition: number,
    signer: string,
    entry: LogEntry,
    endorsements: readonly Endorsement[],
  ): boolean {
    const digest = endorsementDigest(this.verifier.clusterId, entry);
    const nodes = new Set<string>([signer]);
    for (const endorsement of endorsements) {
      if (nodes.has(endorsement.node) || !this.liveMember(endorsement.node, partition)) continue;
      if (this.verifier.verify(endorsement.node, digest, endorsement.sig)) nodes.add(endorsement.node);
    }
    return nodes.size >= this.params.quorum;
  }
}
