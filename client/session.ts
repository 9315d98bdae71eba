// What every operation of a DsvClient shares: the node calls (each with that node's own credential), the cached
// topology (refreshed on error), and the checks that keep shards away from anything but the cluster's holders.
import { nodeCredential } from '../src/trust/node-credentials.ts';
import { DsvClientError } from './client-error.ts';
import type { Http } from './http.ts';
import { NodeCalls, sameUrl } from './nodes.ts';
import { holdersMissedShards, readResolved, type ReadPurpose } from './shard-reader.ts';
import { gatherReceipts, stageCalls, type StageContext, type StageTarget } from './shard-stager.ts';
import {
  parseHolderShare,
  parseReceipts,
  parseResolved,
  parseTopology,
  type HolderRef,
  type NodeRef,
  type Receipt,
  type Resolved,
  type Topology,
} from './wire.ts';

const BASE = '/v2/client-side';

/** One path segment, percent-encoded as v2 wants it (`%2F` stays part of a name). */
export const segment = (value: string): string => encodeURIComponent(value);

/** Namespaces and names are compared and sent in NFC, as the server canonicalises them. */
export function canonical(text: string, what: string): string {
  if (typeof text !== 'string' || text.trim() === '')
    throw new DsvClientError('DSV_INPUT_INVALID', `The ${what} is required`);
  if (!text.isWellFormed())
    throw new DsvClientError('DSV_INPUT_INVALID', `The ${what} is not well-formed Unicode`);
  return text.normalize('NFC');
}

export interface SessionOptions {
  readonly http: Http;
  readonly token: string;
  readonly bases: readonly string[];
  /** Every node URL the caller trusts: the topology may name no other. */
  readonly pinned?: readonly string[];
  readonly hedgeDelayMs: number;
  /** How long to wait for straggling holders once every key has W receipts. */
  readonly stragglerGraceMs: number;
  readonly random?: () => number;
}

export class Session {
  readonly nodes: NodeCalls;
  readonly #options: SessionOptions;
  #topology: Promise<Topology> | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.nodes = new NodeCalls(
      options.http,
      options.bases,
      () => this.topology(),
      (nodeId) => this.credentialFor(nodeId),
    );
  }

  /** The cluster's id, sharing parameters and nodes: fetched once, again after `forgetTopology`. */
  topology(): Promise<Topology> {
    if (this.#topology === undefined) {
      const current = this.nodes
        .anonymous(`${BASE}/topology`)
        .then((answer) => this.#checkPinned(parseTopology(answer)));
      this.#topology = current;
      current.catch(() => {
        if (this.#topology === current) this.#topology = undefined;
      });
    }
    return this.#topology;
  }

  #checkPinned(topology: Topology): Topology {
    const { pinned } = this.#options;
    if (pinned !== undefined && !topology.nodes.every((node) => pinned.some((url) => sameUrl(url, node.url))))
      throw new DsvClientError(
        'DSV_INTERNAL',
        'The topology names a node URL that is not one of the pinned nodes',
      );
    return topology;
  }

  /** After an error the next operation asks for the topology again (a node may have moved or joined). */
  forgetTopology(): void {
    this.#topology = undefined;
  }

  /**
   * Every node a shard or a credential goes to must be the topology's node of that id at that URL, and the
   * holders of one key distinct nodes: a lying coordinator can then not collect k shards of a value.
   */
  async checkNodes(nodes: readonly NodeRef[]): Promise<Topology> {
    const known = (topology: Topology) =>
      nodes.every((node) =>
        topology.nodes.some((member) => member.nodeId === node.nodeId && sameUrl(member.url, node.url)),
      );
    let topology = await this.topology();
    if (!known(topology)) {
      this.forgetTopology();
      topology = await this.topology();
      if (!known(topology))
        throw new DsvClientError(
          'DSV_INTERNAL',
          "The node named a holder that is not in the cluster's topology",
        );
    }
    return topology;
  }

  /** The holders of one key's version: n of them, indexes 0..n−1, all on distinct known nodes. */
  async checkPlacement(holders: readonly HolderRef[]): Promise<Topology> {
    const topology = await this.checkNodes(holders);
    const { n } = topology.sharing;
    const indexes = new Set(holders.map((holder) => holder.index));
    const nodes = new Set(holders.map((holder) => holder.nodeId));
    if (
      holders.length !== n ||
      indexes.size !== n ||
      nodes.size !== n ||
      [...indexes].some((index) => index >= n)
    )
      throw new DsvClientError(
        'DSV_INTERNAL',
        'The node does not place one shard on each of n distinct holders',
      );
    return topology;
  }

  async credentialFor(nodeId: string): Promise<string> {
    const { clusterId } = await this.topology();
    return nodeCredential(this.#options.token, clusterId, nodeId);
  }

  /**
   * GET /resolve: the version's metadata, checked to be the one asked for. "Latest" and `asOf` are asked of two
   * nodes at once and the newer answer wins: one lying node cannot roll a read back to an older genuine version
   * (a newer version it made up has no shards to combine). A pinned `version` needs one node.
   */
  async resolve(
    namespace: string,
    name: string,
    at: { version?: number; asOf?: string } = {},
  ): Promise<Resolved> {
    const path = `${BASE}/resolve/${segment(namespace)}/${segment(name)}`;
    const options = { query: { version: at.version, asOf: at.asOf } };
    const answers =
      at.version === undefined
        ? await this.nodes.fromTwo(path, options)
        : [(await this.nodes.any(path, options)).answer];
    const resolved = answers
      .map((answer) => parseResolved(answer))
      .reduce((newest, next) => (next.version > newest.version ? next : newest));
    this.checkResolved(resolved, namespace, name, at.version);
    return resolved;
  }

  /** A resolver may only name the secret asked for (else it could serve another secret's genuine value). */
  checkResolved(resolved: Resolved, namespace: string, name: string, version?: number): void {
    if (
      resolved.namespace !== namespace ||
      resolved.name !== name ||
      (version !== undefined && resolved.version !== version)
    )
      throw new DsvClientError(
        'DSV_INTERNAL',
        'The node resolved another secret or version than the one asked for',
      );
  }

  /** The value of a resolved version, combined here from k holders' shares. */
  async readValue(resolved: Resolved, purpose: ReadPurpose): Promise<Uint8Array> {
    // One share per node: a node that names itself for several indexes could otherwise supply k shares.
    const topology = await this.checkPlacement(resolved.holders);
    const { tenant, namespace, name, version, writeId, partition, minOffset, generation } = resolved;
    const body = {
      tenant,
      namespace,
      name,
      version,
      writeId,
      partition,
      minOffset,
      purpose,
      ...(generation === undefined ? {} : { generation }),
    };
    return readResolved(
      resolved,
      topology.sharing.k,
      async (holder, signal) =>
        parseHolderShare(await this.nodes.at(holder, `${BASE}/holder/shard`, { json: body, signal })),
      this.#options.hedgeDelayMs,
      this.#options.random,
    );
  }

  /**
   * Resolve and read, once more from a fresh resolve when the holders lacked the shards (a share refresh or
   * a repair may have raced the first resolve).
   */
  async resolveAndRead(
    namespace: string,
    name: string,
    at: { version?: number; asOf?: string } = {},
  ): Promise<{ resolved: Resolved; value: Uint8Array }> {
    for (let attempt = 1; ; attempt++) {
      const resolved = await this.resolve(namespace, name, at);
      try {
        return { resolved, value: await this.readValue(resolved, 'read') };
      } catch (error) {
        if (attempt >= 2 || !holdersMissedShards(error)) throw error;
        this.forgetTopology();
      }
    }
  }

  /** Splits, stages on every holder and resolves with the receipts once each key has W of them. */
  async stage(
    context: Omit<StageContext, 'n' | 'k' | 'w'>,
    targets: readonly StageTarget[],
  ): Promise<Receipt[]> {
    let topology: Topology | undefined;
    for (const target of targets) topology = await this.checkPlacement(target.holders);
    if (topology === undefined) return [];
    const { n, k, w } = topology.sharing;
    const calls = stageCalls({ ...context, n, k, w }, targets);
    const { tenant, partition, minOffset } = context;
    return gatherReceipts(
      calls,
      w,
      async (call) =>
        parseReceipts(
          await this.nodes.at(call.holder, `${BASE}/holder/stage`, {
            json: { tenant, partition, minOffset, shards: call.shards },
          }),
        ),
      this.#options.stragglerGraceMs,
    );
  }
}
