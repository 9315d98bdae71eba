// DsvClient: the v2 secret API with the value split and combined in this process (client-side mode, issue #9).
// put/get/delete/transformEnv speak the client-side protocol; versions and list (metadata) use the plain v2
// routes. Every call carries only the credential derived for the node it goes to, never the token (I-G3).
import { DsvClientError, toClientError } from './client-error.ts';
import {
  conditionalDelete,
  conditionalPut,
  type PutOptions,
  type PutResult,
  type WriteOne,
} from './conditional-put.ts';
import { transformEnvFile } from './env-transform.ts';
import { Http, type FetchLike } from './http.ts';
import { checkPinnedTopology } from './pinning.ts';
import { canonical, segment, Session } from './session.ts';
import { valueBytes } from './values.ts';
import { parseTopology, type Topology } from './wire.ts';
import { runWrite } from './write-flow.ts';

export interface DsvClientOptions {
  /**
   * The node asked first, e.g. `https://vault-0.internal:8080` (trust a private CA with NODE_EXTRA_CA_CERTS).
   * With a pinned topology it only chooses which pinned node is asked first: no call goes to a URL that is not
   * pinned.
   */
  readonly url: string;
  /** A DSV token (`dsv.…`). It never leaves this process: each node gets only the credential derived for it. */
  readonly token: string;
  /** Other nodes asked when `url` cannot be reached (then the other pinned nodes). */
  readonly fallbacks?: readonly string[];
  /**
   * `nodes`, `clusterId` and `sharing` pin the cluster: what `DsvClient.fetchTopology(url)` answered once and you
   * stored (or your deployment config), spread in. Every node a server names must then be one of these node
   * ids, called at its pinned URL, with each shard on the placement computed here: a node can neither point
   * this client at URLs it controls nor collect a key's shards. Without them every operation is refused, unless
   * `trustFirstTopology` is set.
   */
  readonly nodes?: ClusterTopology['nodes'];
  /** The pinned cluster's id (node credentials derive from it). */
  readonly clusterId?: string;
  /** The pinned sharing parameters: a node that lied about k could otherwise have one share reveal a value. */
  readonly sharing?: ClusterTopology['sharing'];
  /**
   * Trust on first use: without a pinned topology, pin the first one a node answers (from `url`, then
   * `fallbacks`) for this client's lifetime. A node compromised at that moment chooses the cluster this client
   * trusts; pin the topology instead wherever you can.
   */
  readonly trustFirstTopology?: boolean;
  /** Ask one more holder when one is slower than this (default 25 ms). */
  readonly hedgeDelayMs?: number;
  /** Per-request timeout (default 60 s). */
  readonly timeoutMs?: number;
  /** Another fetch (a custom dispatcher, a test double); the global `fetch` by default. */
  readonly fetch?: FetchLike;
}

export interface GetOptions {
  /** A specific version (needs `history`). */
  readonly version?: number;
  /** The version current at this time, RFC 3339 or a Date (needs `history`). */
  readonly asOf?: string | Date;
}

export interface SecretValue {
  /** The bytes as stored; this process owns them: wipe them (`value.fill(0)`) when done. */
  readonly value: Uint8Array;
  readonly version: number;
  readonly validFrom: string;
  readonly validTo: string | null;
  /** `"<version>"`, the v2 entity tag. */
  readonly etag: string;
}

export interface VersionInfo {
  readonly version: number;
  readonly validFrom: string;
  readonly validTo: string | null;
}

export interface DeleteOptions {
  readonly ifMatch?: number | readonly number[] | '*';
  readonly idempotencyKey?: string;
}

export interface ListOptions {
  readonly prefix?: string;
  /** 1–1000 (default 100). */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly cursor?: string;
}

export interface ListPage {
  readonly names: readonly string[];
  readonly next?: string;
}

/** A cluster as a client pins it: `GET /v2/client-side/topology`, stored once (see `DsvClient.fetchTopology`). */
export interface ClusterTopology {
  readonly clusterId: string;
  readonly sharing: { readonly n: number; readonly k: number; readonly w: number };
  readonly nodes: ReadonlyArray<{ readonly nodeId: string; readonly url: string }>;
}

const TOPOLOGY = '/v2/client-side/topology';

const publicTopology = ({ clusterId, sharing: { n, k, w }, nodes }: Topology): ClusterTopology => ({
  clusterId,
  sharing: { n, k, w },
  nodes: nodes.map(({ nodeId, url }) => ({ nodeId, url })),
});

const secretPath = (namespace: string, name: string): string =>
  `/v2/secrets/${segment(namespace)}/${segment(name)}`;

/** Runs an operation; whatever it throws leaves as a DsvClientError. */
async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toClientError(error);
  }
}

export class DsvClient {
  readonly #session: Session;

  constructor(options: DsvClientOptions) {
    if (typeof options.token !== 'string' || options.token === '')
      throw new DsvClientError(
        'DSV_AUTH_REQUIRED',
        'Client-side mode needs a token (holder credentials derive from it)',
      );
    try {
      new URL(options.url);
    } catch {
      throw new DsvClientError('DSV_INPUT_INVALID', 'The url is not a valid URL');
    }
    const http = new Http(
      options.fetch ?? ((input, init) => fetch(input, init)),
      options.timeoutMs ?? 60_000,
    );
    const { clusterId, sharing, nodes } = options;
    const pins = clusterId !== undefined || sharing !== undefined || nodes !== undefined;
    this.#session = new Session({
      http,
      token: options.token,
      bases: [options.url, ...(options.fallbacks ?? [])],
      ...(pins ? { pinned: checkPinnedTopology({ clusterId, sharing, nodes }) } : {}),
      ...(options.trustFirstTopology === true ? { trustFirst: true } : {}),
      hedgeDelayMs: options.hedgeDelayMs ?? 25,
      stragglerGraceMs: 100,
    });
  }

  /**
   * The topology a node answers (`GET /v2/client-side/topology`, no token needed), for the caller to store and
   * pin: fetch it once, over TLS from a node you trust (the trust-on-first-use moment, like an SSH host key),
   * and pass it to every client after (`new DsvClient({ url, token, ...topology })`).
   */
  static async fetchTopology(
    url: string,
    options: { readonly fetch?: FetchLike; readonly timeoutMs?: number } = {},
  ): Promise<ClusterTopology> {
    return guarded(async () => {
      try {
        new URL(url);
      } catch {
        throw new DsvClientError('DSV_INPUT_INVALID', 'The url is not a valid URL');
      }
      const http = new Http(
        options.fetch ?? ((input, init) => fetch(input, init)),
        options.timeoutMs ?? 60_000,
      );
      return publicTopology(checkPinnedTopology(parseTopology(await http.call(url, TOPOLOGY))));
    });
  }

  /**
   * A stored topology (a file, a config entry) checked to be one a client can pin: a cluster id, sharing with
   * 1 ≤ k, w ≤ n, at least n nodes with distinct ids and valid URLs. Throws DSV_INPUT_INVALID otherwise.
   */
  static parseTopology(stored: unknown): ClusterTopology {
    try {
      return publicTopology(checkPinnedTopology(typeof stored === 'object' && stored !== null ? stored : {}));
    } catch (error) {
      throw toClientError(error);
    }
  }

  /** The cluster this client trusts: the pinned topology (or, trusting on first use, the first fetched). */
  async topology(): Promise<ClusterTopology> {
    return guarded(async () => publicTopology(await this.#session.topology()));
  }

  /** Stores a new version, split here; only shards and commitments leave this process. */
  async put(
    namespace: string,
    name: string,
    value: Uint8Array | string,
    options: PutOptions = {},
  ): Promise<PutResult> {
    return guarded(async () => {
      const ns = canonical(namespace, 'namespace');
      const key = canonical(name, 'name');
      const { bytes, owned } = valueBytes(value);
      try {
        return await conditionalPut(
          this.#writeOne(ns, key, bytes, options.idempotencyKey),
          async () => (await this.#latest(ns, key))?.version,
          options,
        );
      } finally {
        if (owned) bytes.fill(0);
      }
    });
  }

  /** Reads a version, combined here from k holders' shards (the payload tag verified). */
  async get(namespace: string, name: string, options: GetOptions = {}): Promise<SecretValue> {
    return guarded(async () => {
      if (options.version !== undefined && options.asOf !== undefined)
        throw new DsvClientError('DSV_INPUT_INVALID', 'Give either version or asOf, not both');
      const asOf = options.asOf instanceof Date ? options.asOf.toISOString() : options.asOf;
      const { resolved, value } = await this.#session.resolveAndRead(
        canonical(namespace, 'namespace'),
        canonical(name, 'name'),
        {
          ...(options.version === undefined ? {} : { version: options.version }),
          ...(asOf === undefined ? {} : { asOf }),
        },
      );
      const { version, validFrom, validTo } = resolved;
      return { value, version, validFrom, validTo, etag: `"${version}"` };
    });
  }

  /** Every version with its validity interval, oldest first (needs `history`; no values). */
  async versions(namespace: string, name: string): Promise<VersionInfo[]> {
    return guarded(async () => {
      const { answer: body } = await this.#session.nodes.any<{ versions: VersionInfo[] }>(
        `${secretPath(canonical(namespace, 'namespace'), canonical(name, 'name'))}/versions`,
      );
      return body.versions.map(({ version, validFrom, validTo }) => ({ version, validFrom, validTo }));
    });
  }

  /**
   * Deletes the secret and every version (`ifMatch` is compare-and-set), as a client-side write of one delete op:
   * a node may not gather endorsements for a client that sent it only its credential, so the client does.
   */
  async delete(namespace: string, name: string, options: DeleteOptions = {}): Promise<void> {
    return guarded(async () => {
      const ns = canonical(namespace, 'namespace');
      const key = canonical(name, 'name');
      await conditionalDelete(
        this.#writeOne(ns, key, undefined, options.idempotencyKey),
        async () => (await this.#latest(ns, key))?.version,
        options,
      );
    });
  }

  /** One page of the names the token may list in a namespace. */
  async list(namespace: string, options: ListOptions = {}): Promise<ListPage> {
    return guarded(async () => {
      const { answer: page } = await this.#session.nodes.any<{ names: string[]; next?: string }>(
        `/v2/secrets/${segment(canonical(namespace, 'namespace'))}`,
        { query: { prefix: options.prefix, limit: options.limit, cursor: options.cursor } },
      );
      return { names: page.names, ...(page.next === undefined ? {} : { next: page.next }) };
    });
  }

  /**
   * A .env file transformed as `POST /v2/env:transform` does (enc(…) stores, secret(…) resolves), with every
   * value split or combined here: one intent for the whole file, all or nothing.
   */
  async transformEnv(namespace: string, content: string): Promise<string> {
    return guarded(() => transformEnvFile(this.#session, namespace, content));
  }

  /** One op through the whole client-side write; its result. A delete carries no value. */
  #writeOne(
    namespace: string,
    name: string,
    value: Uint8Array | undefined,
    idempotencyKey?: string,
  ): WriteOne {
    return async (op, { expectedVersion, attempt }) => {
      const expected = expectedVersion === undefined ? {} : { expectedVersion };
      const target = { namespace, name, ...expected };
      if (op !== 'delete' && value === undefined)
        throw new DsvClientError('DSV_INTERNAL', 'No value to write');
      const { results } = await runWrite(
        this.#session,
        [op === 'delete' ? { op, ...target } : { op, ...target, value: value as Uint8Array }],
        {
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
          ...(attempt === undefined ? {} : { attempt }),
        },
      );
      const [result] = results;
      if (result === undefined)
        throw new DsvClientError('DSV_INTERNAL', 'The node answered no result for the write');
      return result;
    };
  }

  async #latest(namespace: string, name: string): Promise<VersionInfo | undefined> {
    try {
      return (await this.versions(namespace, name)).at(-1);
    } catch (error) {
      if (error instanceof DsvClientError && error.code === 'DSV_SECRET_NOT_FOUND') return undefined;
      throw error;
    }
  }
}
