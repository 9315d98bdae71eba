// In `dsv dev` the nodes share one process, so a peer call needs no socket, no HTTP and no JSON (issue #10: the
// peer API's request and response handling was a third of a dev write's CPU). Nothing is decided here: the
// called node's own holder still makes every decision with the caller's node id (I-S4, I-S5, I-T3), as its
// peer API does once it has authenticated the peer; a stopped node answers like a refused connection and a
// revoked caller like the peer API's 403 (I-G4). Processes that are separate nodes keep the peer API.
import { DsvError, toDsvError } from '../../errors/index.ts';
import type { LocalShardHolder } from '../local-shard-holder.ts';
import type { RefreshHolder } from '../refresh-holder.ts';
import type { RefreshPeer } from '../refresh-types.ts';
import type {
  EndorseRequest,
  RecoveryRequest,
  ReleasedShard,
  ShardHolder,
  ShardReadRequest,
  StageReceipt,
  StageRequest,
} from '../shard-holder.ts';

export interface InProcessPeer {
  readonly holder: LocalShardHolder;
  /** The node as a participant of proactive share refresh (I-R1), when it runs one. */
  readonly refresh?: RefreshHolder;
  /**
   * What the called node's peer API checks before any handler, for a caller already known to be a member:
   * throws when the caller is revoked in its view (I-G4) or its log pin broke (I-L8).
   */
  readonly admit: (caller: string) => void;
}

/** The running nodes of one process, by id; a node is attached while it runs. */
export class InProcessPeers {
  readonly #running = new Map<string, InProcessPeer>();

  attach(nodeId: string, peer: InProcessPeer): void {
    this.#running.set(nodeId, peer);
  }

  /** Detaches `peer` if it is still the one attached (a restarted node attaches a new one). */
  detach(nodeId: string, peer: InProcessPeer): void {
    if (this.#running.get(nodeId) === peer) this.#running.delete(nodeId);
  }

  /** Node `target` as a holder for calls made by node `caller`. */
  holderFor(target: string, caller: string): ShardHolder {
    return new InProcessShardHolder(target, caller, this.#running);
  }

  /** Node `target` as a refresh participant for calls made by node `caller`. */
  refreshPeerFor(target: string, caller: string): RefreshPeer {
    const call = <T>(work: (refresh: RefreshHolder) => Promise<T>): Promise<T> =>
      callPeer(this.#running, target, caller, (peer) => {
        if (!peer.refresh) throw new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${target} does not refresh`);
        return work(peer.refresh);
      });
    return {
      nodeId: target,
      refreshDeal: (request) => call((refresh) => refresh.refreshDeal(request, caller)),
      refreshApply: (request) => call((refresh) => refresh.refreshApply(request, caller)),
      refreshConfirm: (request) => call((refresh) => refresh.refreshConfirm(request, caller)),
    };
  }
}

/** Errors cross as the peer API would carry them: a DsvError with its stable code, never a raw throw. */
async function callPeer<T>(
  running: ReadonlyMap<string, InProcessPeer>,
  target: string,
  caller: string,
  work: (peer: InProcessPeer) => Promise<T>,
): Promise<T> {
  const peer = running.get(target);
  if (!peer) throw new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${target} unreachable`);
  try {
    peer.admit(caller);
    return await work(peer);
  } catch (error) {
    throw toDsvError(error);
  }
}

class InProcessShardHolder implements ShardHolder {
  readonly nodeId: string;
  readonly #caller: string;
  readonly #running: ReadonlyMap<string, InProcessPeer>;

  constructor(nodeId: string, caller: string, running: ReadonlyMap<string, InProcessPeer>) {
    this.nodeId = nodeId;
    this.#caller = caller;
    this.#running = running;
  }

  stage(request: StageRequest): Promise<StageReceipt[]> {
    return this.#call((holder) => holder.stage(request, this.#caller));
  }

  read(request: ShardReadRequest): Promise<ReleasedShard | undefined> {
    return this.#call((holder) => holder.read(request, this.#caller));
  }

  endorse(request: EndorseRequest): Promise<string> {
    return this.#call((holder) => holder.endorse(request, this.#caller));
  }

  contribute(request: RecoveryRequest): Promise<Uint8Array> {
    return this.#call((holder) => holder.contribute(request, this.#caller));
  }

  awaitApplied(partition: number, offset: number, timeoutMs: number): Promise<void> {
    return this.#call((holder) => holder.awaitApplied(partition, offset, timeoutMs));
  }

  #call<T>(work: (holder: LocalShardHolder) => Promise<T>): Promise<T> {
    return callPeer(this.#running, this.nodeId, this.#caller, (peer) => work(peer.holder));
  }
}
