// What every operation of a DsvClient shares: the node calls (each with that node's own credential), the pinned
// topology, and the checks that keep shards away from anything but the pinned placement's holders.
import { nodeCredential } from '../src/trust/node-credentials.ts';
import { DsvClientError } from './client-error.ts';
import type { Http } from './http.ts';
import { NodeCalls } from './nodes.ts';
import { checkPinnedTopology, PIN_ADVICE, placedHolders } from './pinning.ts';
import { holdersMissedShards, readResolved, type ReadPurpose } from './shard-reader.ts';
import { gatherReceipts, stageCalls, type StageContext, type StageTarget } from './shard-stager.ts';
import {
  parseHolderShare,
  parseReceipts,
  parseResolved,
  parseTopology,
  type HolderRef,
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
  /** The URLs asked first (then the other pinned nodes); with trust-on-first-use, where the topology comes from. */
  readonly bases: readonly string[];
  /** The pinned topology: every node id a server names must be one of its nodes, called at its pinned URL. */
  readonly pinned?: Topology;
  /** Without `pinned`: pin the first topology fetched, for this session's lifetime (else nothing runs). */
  readonly trustFirst?: boolean;
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
    if (options.pinned !== undefined) this.#topology = Promise.resolve(options.pinned);
    this.nodes = new NodeCalls(
      options.http,
      options.bases,
      () => this.topology(),
      (nodeId) => this.credentialFor(nodeId),
    );
  }

  /**
   * The pinned topology. Unpinned, with trust-on-first-use, the first one a node answers is pinned for good (a
   * failed fetch is tried again next time); unpinned without it, every operation is refused.
   */
  topology(): Promise<Topology> {
    if (this.#topology !== undefined) return this.#topology;
    if (this.#options.trustFirst !== true)
      return Promise.reject(
        new DsvClientError('DSV_INPUT_INVALID', `This client has no pinned topology: ${PIN_ADVICE}`),
      );
    const current = this.nodes
      .anonymous(`${BASE}/topology`)
      .then((answer) => checkPinnedTopology(parseTopology(answer)));
    this.#topology = current;
    current.catch(() => {
      if (this.#topology === current) this.#topology = undefined;
    });
    return current;
  }

  /** The n holders of a key as the pinned placement has them, at their pinned URLs (else refused). */
  async placed<H extends HolderRef>(
    key: { readonly tenant: string; readonly namespace: string; readonly name: string },
    holders: readonly H[],
  ): Promise<{ topology: Topology; holders: H[] }> {
    const topology = await this.topology();
    return { topology, holders: placedHolders(topology, key, holders) };
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
    // Shard i on the pinned placement's node i: a node that names itself for several indexes, or URLs of its
    // own, could otherwise supply k shares or collect the holders' credentials.
    const { topology, holders } = await this.placed(resolved, resolved.holders);
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
      { ...resolved, holders },
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
      }
    }
  }

  /** Splits, stages on every holder and resolves with the receipts once each key has W of them. */
  async stage(
    context: Omit<StageContext, 'n' | 'k' | 'w'>,
    targets: readonly StageTarget[],
  ): Promise<Receipt[]> {
    if (targets.length === 0) return [];
    const topology = await this.topology();
    const placed = targets.map((target) => ({
      ...target,
      holders: placedHolders(topology, { tenant: context.tenant, ...target }, target.holders),
    }));
    const { n, k, w } = topology.sharing;
    const calls = stageCalls({ ...context, n, k, w }, placed);
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
