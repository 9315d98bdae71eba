// The holder's durability promise (issue #10): with the database in synchronous=NORMAL, a stage is on disk
// only after the shard store's flush, so the signed receipt (what I-X3 counts) must wait for it.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { newBlinding, shareCommitment } from '../sharing/index.ts';
import type { SealedShard, ShardStore } from '../shards/index.ts';
import type { ViewStore } from '../view/index.ts';
import { holderWith } from './testing/holder-with.ts';

const key = { tenant: 't1', namespace: 'app', name: 'api-key' };

void describe('LocalShardHolder.stage', () => {
  void it('I-S7: signs a stage receipt only after the staged rows are flushed to disk', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const flushed = new Promise<void>((resolve) => (release = resolve));
    const shards = {
      seal: async (address: SealedShard['address'], index: number, share: Uint8Array) => ({
        address,
        index,
        sealed: new Uint8Array(share),
      }),
      put: () => void events.push('put'),
      flush: async () => {
        events.push('flush-started');
        await flushed;
        events.push('flushed');
      },
    } as unknown as ShardStore;
    const view = {
      write: () => ({
        state: 'pending',
        kind: 'batch',
        tenant: key.tenant,
        coordinator: 'node-1',
        plan: [{ op: 'create', namespace: key.namespace, name: key.name, version: 1 }],
      }),
      quota: () => ({ maxSecrets: null, maxValueBytes: null, requestsPerSecond: null }),
    } as unknown as ViewStore;
    const holder = holderWith({ view, shards });
    const share = new Uint8Array([1, 2, 3, 4]);
    const blinding = newBlinding();
    const staging = holder.stage(
      {
        tenant: key.tenant,
        partition: 0,
        minOffset: 0,
        shards: [
          {
            namespace: key.namespace,
            name: key.name,
            version: 1,
            writeId: 'w-1',
            index: 0,
            share,
            blinding,
            commitment: shareCommitment({ ...key, version: 1 }, 'w-1', 0, blinding, share),
          },
        ],
      },
      'node-1',
    );
    let answered = false;
    void staging.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(events, ['put', 'flush-started']);
    assert.equal(answered, false, 'no receipt before the flush');
    release();
    const receipts = await staging;
    assert.deepEqual(events, ['put', 'flush-started', 'flushed']);
    assert.equal(receipts.length, 1);
    assert.equal(receipts[0]?.node, 'node-0');
  });
});
