// Client-side write, step 3 (docs/client-side-protocol.md): split each value here, commit to every share with
// a fresh blinding, send each holder all of its shards in one call, and gather the holders' signed receipts
// until every written key has W of them. Shares and blindings are wiped as soon as they are encoded.
import { newBlinding, shareCommitment, splitSecret } from '../src/sharing/index.ts';
import { DsvClientError, toClientError } from './client-error.ts';
import { toBase64, type HolderRef, type Receipt } from './wire.ts';

export interface StageTarget {
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly holders: readonly HolderRef[];
  readonly value: Uint8Array;
}

export interface StageContext {
  readonly tenant: string;
  readonly partition: number;
  readonly minOffset: number;
  readonly writeId: string;
  readonly n: number;
  readonly k: number;
  readonly w: number;
}

export interface StagedShard {
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly index: number;
  readonly share: string;
  readonly blinding: string;
  readonly commitment: string;
}

/** One holder's stage call: its node and every shard it is sent. */
export interface StageCall {
  readonly holder: HolderRef;
  readonly shards: readonly StagedShard[];
}

/** Sends one holder its shards; resolves with its receipts. */
export type SendStage = (call: StageCall) => Promise<readonly Receipt[]>;

const keyOf = (item: { namespace: string; name: string }): string =>
  JSON.stringify([item.namespace, item.name]);

/** The stage calls of a write: one per holder, every share encoded and then wiped. */
export function stageCalls(context: StageContext, targets: readonly StageTarget[]): StageCall[] {
  const calls = new Map<string, { holder: HolderRef; shards: StagedShard[] }>();
  for (const target of targets) {
    const identity = {
      tenant: context.tenant,
      namespace: target.namespace,
      name: target.name,
      version: target.version,
    };
    const shares = splitSecret(identity, target.value, context.n, context.k);
    try {
      for (const holder of target.holders) {
        const share = shares[holder.index];
        if (share === undefined)
          throw new DsvClientError('DSV_INTERNAL', 'The write plan names a shard index out of range');
        const blinding = newBlinding();
        const commitment = shareCommitment(identity, context.writeId, holder.index, blinding, share.y);
        const call = calls.get(holder.nodeId) ?? { holder, shards: [] };
        call.shards.push({
          namespace: target.namespace,
          name: target.name,
          version: target.version,
          writeId: context.writeId,
          index: holder.index,
          share: toBase64(share.y),
          blinding: toBase64(blinding),
          commitment,
        });
        blinding.fill(0);
        calls.set(holder.nodeId, call);
      }
    } finally {
      for (const share of shares) share.y.fill(0);
    }
  }
  return [...calls.values()];
}

/** A receipt counts only for a shard this call sent: same key, index, commitment and node. */
function matching(call: StageCall, receipts: readonly Receipt[]): Receipt[] {
  return receipts.filter((receipt) =>
    call.shards.some(
      (shard) =>
        receipt.node === call.holder.nodeId &&
        keyOf(receipt) === keyOf(shard) &&
        receipt.index === shard.index &&
        receipt.commitment === shard.commitment,
    ),
  );
}

/**
 * Sends every call at once and resolves with every receipt once each written key has `w` of them (waiting
 * `graceMs` more for stragglers, whose receipts then count too); rejects once that can no longer happen.
 */
export function gatherReceipts(
  calls: readonly StageCall[],
  w: number,
  send: SendStage,
  graceMs: number,
): Promise<Receipt[]> {
  const keys = new Set(calls.flatMap((call) => call.shards.map(keyOf)));
  const receipts: Receipt[] = [];
  const failures: DsvClientError[] = [];
  const quorate = (): boolean =>
    [...keys].every((key) => receipts.filter((receipt) => keyOf(receipt) === key).length >= w);
  if (keys.size === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    let pending = calls.length;
    let grace: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      resolve([...receipts]);
    };
    for (const call of calls) {
      send(call)
        .then((answer) => receipts.push(...matching(call, answer)))
        .catch((error: unknown) => failures.push(toClientError(error)))
        .finally(() => {
          pending--;
          if (pending === 0) {
            if (quorate()) finish();
            else if (!settled) {
              settled = true;
              reject(quorumFailure(failures));
            }
          } else if (quorate() && grace === undefined) grace = setTimeout(finish, graceMs);
        });
    }
  });
}

/** All holders refused alike (403, 409): that answer; else 503 DSV_WRITE_QUORUM_FAILED. */
function quorumFailure(failures: readonly DsvClientError[]): DsvClientError {
  const [first] = failures;
  if (first !== undefined && first.status < 500 && failures.every((failure) => failure.code === first.code))
    return first;
  return new DsvClientError(
    'DSV_WRITE_QUORUM_FAILED',
    undefined,
    first === undefined ? {} : { cause: first },
  );
}
