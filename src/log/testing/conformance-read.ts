// Conformance: reading — from any offset, maxRecords, long-poll wake-up and timeout, abort, end offsets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommitLogFactory } from './conformance.ts';
import { assertSameBytes, bytes, PROMPT_MS, TEST_TIMEOUT_MS, withLog } from './conformance-support.ts';

export function describeReads(factory: CommitLogFactory): void {
  void describe('reads', { timeout: TEST_TIMEOUT_MS }, () => {
    void it('reads from an arbitrary offset and returns at most maxRecords', async () => {
      await withLog(factory, async (log) => {
        for (let i = 0; i < 10; i++) await log.append(0, 'k', bytes(`r${i}`));
        const some = await log.read(0, 3, { maxRecords: 4, maxWaitMs: 0 });
        assert.ok(some.length >= 1 && some.length <= 4, `got ${some.length} records for maxRecords 4`);
        some.forEach((r, i) => {
          assert.equal(r.offset, 3 + i);
          assertSameBytes(r.value, bytes(`r${3 + i}`), `offset ${r.offset}`);
        });
        const tail = await log.read(0, 8, { maxRecords: 100, maxWaitMs: 0 });
        assert.deepEqual(
          tail.map((r) => r.offset),
          [8, 9],
        );
        const one = await log.read(0, 9, { maxRecords: 1, maxWaitMs: 0 });
        assert.equal(one.length, 1);
        assert.deepEqual(await log.read(0, 10, { maxRecords: 10, maxWaitMs: 0 }), []);
      });
    });

    void it('endOffset is 0 before any append and counts acknowledged appends per partition', async () => {
      await withLog(factory, async (log) => {
        for (let p = 0; p < log.partitionCount; p++) assert.equal(await log.endOffset(p), 0);
        await log.append(0, 'k', bytes('a'));
        await log.append(0, 'k', bytes('b'));
        await log.append(0, 'k', bytes('c'));
        assert.equal(await log.endOffset(0), 3);
        assert.equal(await log.endOffset(1), 0);
      });
    });

    void it('a long-poll read resolves when a record is appended later', async () => {
      await withLog(factory, async (log) => {
        const started = performance.now();
        const reading = log.read(0, 0, { maxRecords: 10, maxWaitMs: 20_000 });
        await sleep(200);
        await log.append(0, 'late', bytes('late record'));
        const records = await reading;
        assert.equal(records.length, 1);
        assert.equal(records[0]?.key, 'late');
        assertSameBytes(records[0]?.value ?? new Uint8Array(), bytes('late record'), 'late record');
        assert.ok(performance.now() - started < 200 + PROMPT_MS * 2, 'woken by the append, not the timeout');
      });
    });

    void it('every long-poll on a partition is woken, and only by that partition', async () => {
      await withLog(factory, async (log) => {
        const first = log.read(0, 0, { maxRecords: 10, maxWaitMs: 20_000 });
        const second = log.read(0, 0, { maxRecords: 10, maxWaitMs: 20_000 });
        const other = log.read(1, 0, { maxRecords: 10, maxWaitMs: 600 });
        await sleep(100);
        await log.append(0, 'shared', bytes('for both readers'));
        for (const records of await Promise.all([first, second])) {
          assert.deepEqual(
            records.map((r) => r.key),
            ['shared'],
          );
        }
        assert.deepEqual(await other, [], 'an append to partition 0 does not answer a read of partition 1');
      });
    });

    void it('a long-poll returns [] after maxWaitMs when nothing arrives, and maxWaitMs 0 answers at once', async () => {
      await withLog(factory, async (log) => {
        let started = performance.now();
        assert.deepEqual(await log.read(1, 0, { maxRecords: 10, maxWaitMs: 400 }), []);
        const waited = performance.now() - started;
        assert.ok(waited >= 350, `waited only ${waited.toFixed(0)} ms of 400`);
        assert.ok(waited < 400 + PROMPT_MS, `waited ${waited.toFixed(0)} ms for a 400 ms long-poll`);
        started = performance.now();
        assert.deepEqual(await log.read(1, 0, { maxRecords: 10, maxWaitMs: 0 }), []);
        assert.ok(performance.now() - started < PROMPT_MS, 'maxWaitMs 0 does not wait');
      });
    });

    void it('an AbortSignal ends a long-poll promptly, rejecting with its reason', async () => {
      await withLog(factory, async (log) => {
        const controller = new AbortController();
        const reading = log.read(0, 0, { maxRecords: 1, maxWaitMs: 60_000, signal: controller.signal });
        await sleep(100);
        const aborted = performance.now();
        controller.abort();
        await assert.rejects(reading, (error: unknown) => error === controller.signal.reason);
        assert.ok(performance.now() - aborted < PROMPT_MS, 'the abort ends the read promptly');

        const already = AbortSignal.abort();
        await assert.rejects(
          log.read(0, 0, { maxRecords: 1, maxWaitMs: 60_000, signal: already }),
          (error: unknown) => error === already.reason,
        );
        // The log is still usable after an aborted read.
        await log.append(0, 'after', bytes('after abort'));
        assert.equal((await log.read(0, 0, { maxRecords: 1, maxWaitMs: 0 })).length, 1);
      });
    });
  });
}
