// Calls to the cluster's nodes in client-side mode: each call carries only the credential derived for the node
// it goes to (X-DSV-Node-Credential, I-G3), never the bearer token, so a node cannot act as the client anywhere
// else. "Any node" calls fail over to the next node only while a request provably never left.
import { DsvClientError } from './client-error.ts';
import { neverSent, type CallOptions, type Http } from './http.ts';
import { pinnedNode } from './pinning.ts';
import type { NodeRef, Topology } from './wire.ts';

export const CREDENTIAL_HEADER = 'x-dsv-node-credential';

/** Two URLs of one node: same origin and path, trailing slashes aside. */
export function sameUrl(a: string, b: string): boolean {
  const strip = (url: string) => {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  };
  try {
    return strip(a) === strip(b);
  } catch {
    return false;
  }
}

export class NodeCalls {
  readonly #http: Http;
  readonly #bases: readonly string[];
  readonly #topology: () => Promise<Topology>;
  readonly #credential: (nodeId: string) => Promise<string>;
  /** The node that answered last: asked first next time. */
  #last: string | undefined;

  constructor(
    http: Http,
    bases: readonly string[],
    topology: () => Promise<Topology>,
    credential: (nodeId: string) => Promise<string>,
  ) {
    this.#http = http;
    this.#bases = bases;
    this.#topology = topology;
    this.#credential = credential;
  }

  /** An unauthenticated call (the topology, trusted on first use) to the configured URLs in turn. */
  async anonymous<T>(path: string): Promise<T> {
    return (await this.#failover(this.#bases, (base) => this.#http.call<T>(base, path))).answer;
  }

  /**
   * A call to any node: the one that answered last, then the configured URLs' nodes, then the others of the
   * topology. Resolves with the answer and the node that gave it (a write's later steps go back to it).
   */
  async any<T>(path: string, options: CallOptions = {}): Promise<{ answer: T; node: NodeRef }> {
    const { answer, item } = await this.#failover(await this.#order(), (node) =>
      this.at<T>(node, path, options),
    );
    this.#last = item.nodeId;
    return { answer, node: item };
  }

  /** The node that answered last, then the configured URLs' nodes, then the others of the topology. */
  async #order(): Promise<NodeRef[]> {
    const { nodes } = await this.#topology();
    const configured = this.#bases.flatMap((base) => nodes.filter((node) => sameUrl(node.url, base)));
    const order = [...nodes.filter((node) => node.nodeId === this.#last), ...configured, ...nodes];
    return order.filter((node, index) => order.findIndex((other) => other.nodeId === node.nodeId) === index);
  }

  /**
   * The same call to two distinct nodes at once (any node, and one other at random): both answers, or the one
   * answer when the other node fails; the first failure when both do. A one-node cluster answers once.
   */
  async fromTwo<T>(path: string, options: CallOptions = {}): Promise<T[]> {
    const order = await this.#order();
    const rest = order.slice(1);
    const other = rest[Math.floor(Math.random() * rest.length)];
    const first = this.#failover(
      order.filter((node) => node !== other),
      (node) => this.at<T>(node, path, options),
    ).then(({ answer, item }) => {
      this.#last = item.nodeId;
      return answer;
    });
    const results = await Promise.allSettled(
      other === undefined ? [first] : [first, this.at<T>(other, path, options)],
    );
    const answers = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (answers.length > 0) return answers;
    throw (results[0] as PromiseRejectedResult).reason;
  }

  /**
   * A call to this node, by id, with its own credential: always at the pinned topology's URL for that id (never
   * a URL a server answered); an id the topology does not know is refused before anything is sent.
   */
  async at<T>(node: Pick<NodeRef, 'nodeId'>, path: string, options: CallOptions = {}): Promise<T> {
    const { nodeId, url } = pinnedNode(await this.#topology(), node.nodeId);
    const credential = await this.#credential(nodeId);
    return this.#http.call<T>(url, path, {
      ...options,
      headers: { ...options.headers, [CREDENTIAL_HEADER]: credential },
    });
  }

  async #failover<I, T>(
    items: readonly I[],
    attempt: (item: I) => Promise<T>,
  ): Promise<{ answer: T; item: I }> {
    let last: DsvClientError | undefined;
    for (const item of items) {
      try {
        return { answer: await attempt(item), item };
      } catch (error) {
        if (!neverSent(error)) throw error;
        last = error as DsvClientError;
      }
    }
    throw last ?? new DsvClientError('DSV_INPUT_INVALID', 'No node URL to call');
  }
}
