// Conformance: I-L2 (acknowledged ⇒ durable across close and reopen) and I-L3 (records are immutable),
// with the edge-case payloads: empty and 1 MiB values, non-ASCII and empty keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommitLog } from '../commit-log.ts';
import type { CommitLogFactory } from './conformance.ts';
import {
  assertSameBytes,
  bytes,
  patternBytes,
  readAll,
  TEST_TIMEOUT_MS,
  withLog,
} from './conformance-support.ts';

interface Sample {
  readonly partition: number;
  readonly key: string;
  readonly value: Uint8Array;
}

const MIB = 1024 * 1024;

function samples(partitionCount: number): Sample[] {
  const last = partitionCount - 1;
  return [
    { partition: 0, key: 'tenant-a', value: bytes('first') },
    { partition: 0, key: 'tenant-a', value: new Uint8Array(0) },
    { partition: last, key: 'mandant-ä-租户-🔑', value: bytes('non-ASCII key') },
    { partition: 0, key: '', value: bytes('empty key') },
    { partition: last, key: 'big', value: patternBytes(MIB, 7) },
    { partition: 1, key: 'ключ', value: patternBytes(300, 9) },
    { partition: 0, key: 'tenant-a', value: bytes('last') },
  ];
}

/** Appends the samples in order, then checks that every partition holds exactly them, byte for byte. */
async function appendSamples(log: CommitLog, list: readonly Sample[]): Promise<void> {
  for (const s of list) await log.append(s.partition, s.key, s.value);
}

async function assertHoldsSamples(log: CommitLog, list: readonly Sample[]): Promise<void> {
  for (let p = 0; p < log.partitionCount; p++) {
    const expected = list.filter((s) => s.partition === p);
    const records = await readAll(log, p);
    assert.equal(records.length, expected.length, `partition ${p}: record count`);
    records.forEach((r, i) => {
      const want = expected[i];
      assert.ok(want !== undefined);
      assert.equal(r.key, want.key, `partition ${p} offset ${i}: key`);
      assertSameBytes(r.value, want.value, `partition ${p} offset ${i}: value`);
    });
  }
}

export function describeDurability(factory: CommitLogFactory): void {
  void describe('durability and immutability (I-L2, I-L3)', { timeout: TEST_TIMEOUT_MS }, () => {
    void it('round-trips values of 0 bytes and 1 MiB and keys that are non-ASCII or empty', async () => {
      await withLog(factory, async (log) => {
        const list = samples(log.partitionCount);
        await appendSamples(log, list);
        await assertHoldsSamples(log, list);
      });
    });

    const reopen = factory.reopen?.bind(factory);
    void it(
      'I-L2: after close and reopen every acknowledged record is there, byte for byte',
      { skip: reopen === undefined ? 'the factory has no reopen(): this adapter keeps no storage' : false },
      async () => {
        if (reopen === undefined) return;
        const list = samples(factory.partitionCount);
        const first = await factory.open();
        try {
          await appendSamples(first, list);
        } finally {
          await first.close();
        }
        const again = await reopen(first);
        try {
          await assertHoldsSamples(again, list);
          const zeroCount = list.filter((s) => s.partition === 0).length;
          assert.equal(await again.endOffset(0), zeroCount);
          assert.equal((await again.append(0, 'after', bytes('after reopen'))).offset, zeroCount);
        } finally {
          await again.close();
        }
      },
    );

    void it('I-L3: reading twice gives equal bytes; mutating a returned value does not change the record', async () => {
      await withLog(factory, async (log) => {
        await log.append(1, 'k', bytes('immutable-0'));
        await log.append(1, 'k', bytes('immutable-1'));
        const once = await log.read(1, 0, { maxRecords: 2, maxWaitMs: 0 });
        const twice = await log.read(1, 0, { maxRecords: 2, maxWaitMs: 0 });
        assert.equal(once.length, twice.length);
        once.forEach((r, i) => assertSameBytes(r.value, twice[i]?.value ?? new Uint8Array(), `offset ${i}`));
        for (const r of [...once, ...twice]) r.value.fill(0xee);
        const after = await readAll(log, 1);
        assertSameBytes(after[0]?.value ?? new Uint8Array(), bytes('immutable-0'), 'offset 0 after mutation');
        assertSameBytes(after[1]?.value ?? new Uint8Array(), bytes('immutable-1'), 'offset 1 after mutation');
      });
    });

    void it('I-L3: mutating the appended buffer after the call does not change the record', async () => {
      await withLog(factory, async (log) => {
        const value = bytes('as appended');
        const appending = log.append(0, 'k', value);
        value.fill(0x21); // before the append resolves
        await appending;
        const reused = bytes('second');
        await log.append(0, 'k', reused);
        reused.fill(0x22); // after it resolved
        const records = await readAll(log, 0);
        assertSameBytes(records[0]?.value ?? new Uint8Array(), bytes('as appended'), 'offset 0');
        assertSameBytes(records[1]?.value ?? new Uint8Array(), bytes('second'), 'offset 1');
      });
    });
  });
}
