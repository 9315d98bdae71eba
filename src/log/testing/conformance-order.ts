// Conformance: I-L1 — dense offsets per partition, independent partitions, read order = acknowledgement order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommitLogFactory } from './conformance.ts';
import { assertSameBytes, bytes, readAll, TEST_TIMEOUT_MS, withLog } from './conformance-support.ts';

export function describeOrder(factory: CommitLogFactory): void {
  void describe('order (I-L1)', { timeout: TEST_TIMEOUT_MS }, () => {
    void it('I-L1: offsets are dense from 0 in each partition and independent across partitions', async () => {
      await withLog(factory, async (log) => {
        assert.equal(log.partitionCount, factory.partitionCount);
        const offsets = [];
        for (const [p, text] of [
          [0, 'a'],
          [1, 'x'],
          [0, 'b'],
          [0, 'c'],
          [1, 'y'],
        ] as const) {
          const result = await log.append(p, `key-${p}`, bytes(text));
          assert.equal(result.partition, p);
          offsets.push(result.offset);
        }
        assert.deepEqual(offsets, [0, 0, 1, 2, 1]);
        const p0 = await readAll(log, 0);
        const p1 = await readAll(log, 1);
        assert.deepEqual(
          p0.map((r) => Buffer.from(r.value).toString()),
          ['a', 'b', 'c'],
        );
        assert.deepEqual(
          p1.map((r) => Buffer.from(r.value).toString()),
          ['x', 'y'],
        );
        assert.ok(p0.every((r) => r.key === 'key-0'));
        for (let p = 2; p < log.partitionCount; p++) assert.equal(await log.endOffset(p), 0);
      });
    });

    void it('I-L1: under 200 concurrent appends, read order equals acknowledgement order per partition', async () => {
      await withLog(factory, async (log) => {
        const count = 200;
        const acked: string[][] = Array.from({ length: log.partitionCount }, () => []);
        const sent = new Map<string, Uint8Array>();
        const results = await Promise.all(
          Array.from({ length: count }, async (_, i) => {
            // Uneven spread over the partitions, so they fill at different rates.
            const partition = (i * 7 + (i >> 3)) % log.partitionCount;
            const key = `k${i}`;
            const value = bytes(`value ${i} ${'.'.repeat(i % 17)}`);
            sent.set(key, value);
            const result = await log.append(partition, key, value);
            acked[partition]?.push(key);
            return { key, ...result };
          }),
        );
        assert.equal(results.length, count);
        for (let p = 0; p < log.partitionCount; p++) {
          const mine = results.filter((r) => r.partition === p).map((r) => r.offset);
          assert.deepEqual(
            [...mine].sort((a, b) => a - b),
            mine.map((_, i) => i),
            `I-L1: partition ${p} offsets are dense from 0`,
          );
          const records = await readAll(log, p);
          assert.deepEqual(
            records.map((r) => r.key),
            acked[p],
            `partition ${p}: read order is acknowledgement order`,
          );
          for (const r of records) assertSameBytes(r.value, sent.get(r.key) ?? new Uint8Array(), r.key);
        }
      });
    });

    void it('I-L1: an append acknowledged before the next is issued gets the next offset', async () => {
      await withLog(factory, async (log) => {
        for (let i = 0; i < 20; i++) {
          assert.equal((await log.append(1, 'seq', bytes(String(i)))).offset, i);
        }
        assert.equal(await log.endOffset(1), 20);
      });
    });
  });
}
