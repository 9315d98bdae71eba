// A peer node as a shard holder, over its peer API (HTTP on loopback in dev, mutual TLS in production).
import { Pool, type Dispatcher } from 'undici';
import { DsvError, isErrorCode } from '../../errors/index.ts';
import type {
  EndorseRequest,
  RecoveryRequest,
  ReleasedShard,
  ShardHolder,
  ShardReadRequest,
  StageReceipt,
  StageRequest,
} from '../shard-holder.ts';
import type { RefreshReceipt } from '../../secrets/index.ts';
import type {
  RefreshAddress,
  RefreshApplied,
  RefreshApplyRequest,
  RefreshConfirmRequest,
  RefreshDealing,
  RefreshPeer,
} from '../refresh-types.ts';
import { BatchedPeerCalls } from './peer-batch.ts';
import { fromBase64, PEER_NODE_HEADER, PEER_TOKEN_HEADER, toBase64, type WireHealth } from './peer-wire.ts';
import {
  addressToWire,
  appliedFromWire,
  checkToWire,
  dealingsFromWire,
  dealingToWire,
  receiptFromWire,
} from './refresh-wire.ts';

export interface PeerEndpoint {
  readonly nodeId: string;
  /** Base URL of the peer API, e.g. http://127.0.0.1:9081 */
  readonly url: string;
}

export interface RemoteHolderOptions {
  /** This (calling) node's id and its own peer token (I-G4). */
  readonly selfId: string;
  readonly peerToken: string;
  readonly requestTimeoutMs: number;
  /** The cluster's value-size limit: how many shares one batched request may carry (peer-batch.ts). */
  readonly maxValueBytes?: number;
  readonly tls?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer };
}

/** The node config's default value-size limit (node-config.ts `limits.maxValueBytes`). */
const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;

export class RemoteShardHolder implements ShardHolder, RefreshPeer {
  readonly nodeId: string;
  private readonly pool: Pool;
  private readonly options: RemoteHolderOptions;
  /** Stages, reads and endorsements of one turn to this peer go in one request (issue #10). */
  private readonly batched: BatchedPeerCalls;

  constructor(endpoint: PeerEndpoint, options: RemoteHolderOptions) {
    this.nodeId = endpoint.nodeId;
    this.options = options;
    this.pool = new Pool(endpoint.url, {
      connections: 16,
      keepAliveTimeout: 10_000,
      ...(options.tls ? { connect: { ...options.tls, rejectUnauthorized: true } } : {}),
    });
    this.batched = new BatchedPeerCalls(
      this.nodeId,
      (path, body, absent) => this.call('POST', path, body, absent),
      options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    );
  }

  async stage(request: StageRequest): Promise<StageReceipt[]> {
    const body = (await this.batched.call('stage', {
      tenant: request.tenant,
      partition: request.partition,
      minOffset: request.minOffset,
      shards: request.shards.map((shard) => ({
        ...shard,
        share: toBase64(shard.share),
        blinding: toBase64(shard.blinding),
      })),
    })) as { receipts?: StageReceipt[] } | undefined;
    return Array.isArray(body?.receipts) ? body.receipts : [];
  }

  async read(request: ShardReadRequest): Promise<ReleasedShard | undefined> {
    const body = (await this.batched.call('read', {
      ...request.key,
      partition: request.partition,
      minOffset: request.minOffset,
      version: request.version,
      writeId: request.writeId,
      credential: request.credential,
      purpose: request.purpose,
      requestId: request.requestId,
      ...(request.generation === undefined ? {} : { generation: request.generation }),
    })) as { index?: number; share?: string; blinding?: string } | undefined;
    if (!body || typeof body.index !== 'number' || typeof body.share !== 'string') return undefined;
    return {
      index: body.index,
      share: fromBase64(body.share),
      ...(typeof body.blinding === 'string' ? { blinding: fromBase64(body.blinding) } : {}),
    };
  }

  async endorse(request: EndorseRequest): Promise<string> {
    const body = (await this.batched.call('endorse', { ...request })) as { sig?: unknown } | undefined;
    if (typeof body?.sig !== 'string')
      throw new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${this.nodeId} refused`);
    return body.sig;
  }

  async contribute(request: RecoveryRequest): Promise<Uint8Array> {
    const { key, ...rest } = request;
    const body = (await this.call('POST', '/peer/v1/recover', { ...key, ...rest })) as
      { contribution?: unknown } | undefined;
    if (typeof body?.contribution !== 'string')
      throw new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${this.nodeId} gave no contribution`);
    return fromBase64(body.contribution);
  }

  // Proactive share refresh (I-R1, I-R2): this peer as a participant, through its /peer/v1/refresh routes.
  async refreshDeal(request: RefreshAddress): Promise<RefreshDealing[]> {
    return this.answered(
      dealingsFromWire(await this.call('POST', '/peer/v1/refresh/deal', addressToWire(request))),
    );
  }

  async refreshApply(request: RefreshApplyRequest): Promise<RefreshApplied> {
    const body = { ...addressToWire(request), dealings: request.dealings.map(dealingToWire) };
    return this.answered(appliedFromWire(await this.call('POST', '/peer/v1/refresh/apply', body)));
  }

  async refreshConfirm(request: RefreshConfirmRequest): Promise<RefreshReceipt> {
    const body = { ...addressToWire(request), checks: request.checks.map(checkToWire) };
    return this.answered(receiptFromWire(await this.call('POST', '/peer/v1/refresh/confirm', body)));
  }

  private answered<T>(value: T | undefined): T {
    if (value === undefined) throw new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${this.nodeId} gave no answer`);
    return value;
  }

  async awaitApplied(partition: number, offset: number, timeoutMs: number): Promise<void> {
    await this.call('POST', '/peer/v1/await-applied', { partition, offset, timeoutMs }, [], timeoutMs + 1000);
  }

  async health(timeoutMs: number): Promise<WireHealth> {
    return (await this.call('GET', '/peer/v1/health', undefined, [], timeoutMs)) as WireHealth;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  /** One request; a refused connection, a timeout or a 5xx is a DsvError the caller counts as "no answer". */
  private async call(
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
    absentStatuses: readonly number[] = [],
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<unknown> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.pool.request({
        method,
        path,
        headers: {
          [PEER_NODE_HEADER]: this.options.selfId,
          [PEER_TOKEN_HEADER]: this.options.peerToken,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      throw new DsvError('DSV_NODE_UNAVAILABLE', `Peer ${this.nodeId} unreachable`, { cause: error });
    }
    const text = await response.body.text();
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
    }
    if (absentStatuses.includes(response.statusCode)) return undefined;
    let code = 'DSV_NODE_UNAVAILABLE';
    try {
      const parsed = JSON.parse(text) as { code?: unknown };
      if (typeof parsed.code === 'string') code = parsed.code;
    } catch {
      // keep the generic code
    }
    throw new DsvError(isErrorCode(code) ? code : 'DSV_NODE_UNAVAILABLE', `Peer ${this.nodeId} refused`);
  }
}
