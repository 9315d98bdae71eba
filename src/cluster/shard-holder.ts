// What the coordinator asks of a shard holder — this node or a peer over HTTP (one interface, two adapters).
import type { SecretKey } from '../secrets/index.ts';

export interface StageShard {
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly index: number;
  readonly share: Uint8Array;
}

export interface StageRequest {
  readonly tenant: string;
  readonly partition: number;
  /** The holder first applies the log up to here, so it knows the write (the intent's offset). */
  readonly minOffset: number;
  readonly shards: readonly StageShard[];
}

export interface ShardReadRequest {
  readonly key: SecretKey;
  readonly partition: number;
  /** Causality token: the reader's applied position; the holder catches up to it before answering. */
  readonly minOffset: number;
  readonly version: number;
  readonly writeId: string;
}

export interface ShardHolder {
  readonly nodeId: string;
  /** Durably stages every shard or none; rejects when the write is no longer pending. */
  stage(request: StageRequest): Promise<void>;
  read(request: ShardReadRequest): Promise<{ index: number; share: Uint8Array } | undefined>;
  /** Resolves once the holder applied the record at `offset`. */
  awaitApplied(partition: number, offset: number, timeoutMs: number): Promise<void>;
}
