// Conformance: behaviour after close (DSV_LOG_UNAVAILABLE) and rejection of invalid input (DSV_INPUT_INVALID).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommitLogFactory } from './conformance.ts';
import { assertDsvRejects, bytes, PROMPT_MS, TEST_TIMEOUT_MS, withLog } from './conformance-support.ts';

export function describeLifecycle(factory: CommitLogFactory): void {
  void describe('close and invalid input', { timeout: TEST_TIMEOUT_MS }, () => {
    void it('after close, append, read and endOffset reject with DSV_LOG_UNAVAILABLE; close is idempotent', async () => {
      const log = await factory.open();
      await log.append(0, 'k', bytes('before close'));
      await log.close();
      await assertDsvRejects(log.append(0, 'k', bytes('after close')), 'DSV_LOG_UNAVAILABLE', 'append');
      await assertDsvRejects(log.read(0, 0, { maxRecords: 1, maxWaitMs: 0 }), 'DSV_LOG_UNAVAILABLE', 'read');
      await assertDsvRejects(log.endOffset(0), 'DSV_LOG_UNAVAILABLE', 'endOffset');
      await log.close();
    });

    void it('close ends a long-poll in progress with DSV_LOG_UNAVAILABLE', async () => {
      const log = await factory.open();
      const reading = log.read(0, 0, { maxRecords: 1, maxWaitMs: 60_000 });
      await sleep(100);
      const ended = assertDsvRejects(reading, 'DSV_LOG_UNAVAILABLE', 'long-poll during close');
      const closing = performance.now();
      await log.close();
      await ended;
      assert.ok(performance.now() - closing < PROMPT_MS, 'the long-poll ended promptly');
    });

    void it('an invalid partition (negative, ≥ count, non-integer) rejects with DSV_INPUT_INVALID', async () => {
      await withLog(factory, async (log) => {
        for (const partition of [-1, log.partitionCount, 0.5, Number.NaN]) {
          const what = `partition ${partition}`;
          await assertDsvRejects(
            log.append(partition, 'k', bytes('v')),
            'DSV_INPUT_INVALID',
            `append ${what}`,
          );
          const reading = log.read(partition, 0, { maxRecords: 1, maxWaitMs: 0 });
          await assertDsvRejects(reading, 'DSV_INPUT_INVALID', `read ${what}`);
          await assertDsvRejects(log.endOffset(partition), 'DSV_INPUT_INVALID', `endOffset ${what}`);
        }
        assert.equal(await log.endOffset(0), 0, 'nothing was appended');
      });
    });

    void it('invalid offsets, read options and keys reject with DSV_INPUT_INVALID', async () => {
      await withLog(factory, async (log) => {
        for (const [from, maxRecords, maxWaitMs] of [
          [-1, 1, 0],
          [0.5, 1, 0],
          [0, 0, 0],
          [0, 1.5, 0],
          [0, 1, -1],
          [0, 1, Number.NaN],
        ] as const) {
          const reading = log.read(0, from, { maxRecords, maxWaitMs });
          await assertDsvRejects(
            reading,
            'DSV_INPUT_INVALID',
            `read(0, ${from}, ${maxRecords}, ${maxWaitMs})`,
          );
        }
        await assertDsvRejects(
          log.append(0, 'lone \ud800', bytes('v')),
          'DSV_INPUT_INVALID',
          'lone surrogate',
        );
        assert.equal(await log.endOffset(0), 0, 'nothing was appended');
      });
    });
  });
}
