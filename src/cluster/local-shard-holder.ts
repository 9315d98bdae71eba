// This node as a shard holder: used directly by its own coordinator and behind its peer API for others.
import { DsvError } from '../errors/index.ts';
import type { SealedShard, ShardStore } from '../shards/index.ts';
import type { ViewStore } from '../view/index.ts';
import type { LogApplier } from './applier.ts';
import type { ShardHolder, ShardReadRequest, StageRequest } from './shard-holder.ts';

export class LocalShardHolder implements ShardHolder {
  readonly nodeId: string;
  private readonly applier: LogApplier;
  private readonly view: ViewStore;
  private readonly shards: ShardStore;
  private readonly applyTimeoutMs: number;

  constructor(
    nodeId: string,
    applier: LogApplier,
    view: ViewStore,
    shards: ShardStore,
    applyTimeoutMs: number,
  ) {
    this.nodeId = nodeId;
    this.applier = applier;
    this.view = view;
    this.shards = shards;
    this.applyTimeoutMs = applyTimeoutMs;
  }

  async stage(request: StageRequest): Promise<void> {
    await this.applier.waitApplied(request.partition, request.minOffset, this.applyTimeoutMs);
    const sealed: SealedShard[] = [];
    for (const shard of request.shards) {
      const address = {
        key: { tenant: request.tenant, namespace: shard.namespace, name: shard.name },
        version: shard.version,
        writeId: shard.writeId,
      };
      sealed.push(await this.shards.seal(address, shard.index, shard.share));
    }
    // No await from here on: the state check and the inserts form one step, so an abort applied
    // concurrently either happened before (stage refused) or after (it discards these rows) — I-S3.
    const states = new Map<string, string | undefined>();
    for (const shard of sealed) {
      const writeId = shard.address.writeId;
      if (!states.has(writeId)) states.set(writeId, this.view.write(writeId)?.state);
      const state = states.get(writeId);
      if (state !== 'pending' && state !== 'committed') {
        throw new DsvError('DSV_WRITE_CONFLICT', 'The write is no longer pending');
      }
    }
    for (const shard of sealed) {
      this.shards.put(shard, states.get(shard.address.writeId) === 'committed' ? 'committed' : 'staged');
    }
  }

  async read(request: ShardReadRequest): Promise<{ index: number; share: Uint8Array } | undefined> {
    await this.applier.waitApplied(request.partition, request.minOffset - 1, this.applyTimeoutMs);
    return this.shards.read({ key: request.key, version: request.version, writeId: request.writeId });
  }

  async awaitApplied(partition: number, offset: number, timeoutMs: number): Promise<void> {
    await this.applier.waitApplied(partition, offset, timeoutMs);
  }
}
