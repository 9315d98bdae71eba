// Conformance: log time and identity — every record carries the time the LOG appended it (I-X4), non-decreasing
// within a partition and close to now; the log reports a stable identity a node can pin (I-L8).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommitLog } from '../commit-log.ts';
import type { CommitLogFactory } from './conformance.ts';
import { assertDsvRejects, bytes, readAll, TEST_TIMEOUT_MS, withLog } from './conformance-support.ts';

/** How far a log timestamp may be from this process's clock (same machine in tests, plus slow CI). */
const CLOCK_SLACK_MS = 30_000;

async function log3(log: CommitLog): Promise<void> {
  for (let i = 0; i < 3; i++) await log.append(0, 'k', bytes(`r-${i}`));
}

export function describeTime(factory: CommitLogFactory): void {
  void describe('log time and identity (I-X4, I-L8)', { timeout: TEST_TIMEOUT_MS }, () => {
    void it('I-X4: every record has the append time, non-decreasing within a partition and close to now', async () => {
      await withLog(factory, async (log) => {
        const before = Date.now();
        for (let i = 0; i < 5; i++) await log.append(0, 'k', bytes(`one-${i}`));
        await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(0, 'k', bytes(`many-${i}`))));
        await log.append(1, 'k', bytes('other partition'));
        const after = Date.now();
        const records = await readAll(log, 0);
        assert.equal(records.length, 25);
        let previous = 0;
        for (const r of records) {
          assert.ok(
            Number.isSafeInteger(r.timestamp) && r.timestamp > 0,
            `offset ${r.offset}: timestamp set`,
          );
          assert.ok(r.timestamp >= previous, `offset ${r.offset}: timestamps never go backwards`);
          assert.ok(
            r.timestamp >= before - CLOCK_SLACK_MS && r.timestamp <= after + CLOCK_SLACK_MS,
            'near now',
          );
          previous = r.timestamp;
        }
        const [other] = await readAll(log, 1);
        assert.ok(other !== undefined && other.timestamp > 0, 'partition 1 has its timestamp');
        // Reading again gives the same timestamps: they are stored, not stamped at read time.
        const again = await readAll(log, 0);
        assert.deepEqual(
          again.map((r) => r.timestamp),
          records.map((r) => r.timestamp),
        );
      });
    });

    void it('I-L8: identity() is non-empty and stable; after close it rejects with DSV_LOG_UNAVAILABLE', async () => {
      const log = await factory.open();
      try {
        const first = await log.identity();
        assert.ok(first.clusterId.length > 0 && first.topicId.length > 0);
        await log.append(0, 'k', bytes('x'));
        assert.deepEqual(await log.identity(), first);
      } finally {
        await log.close();
      }
      await assertDsvRejects(log.identity(), 'DSV_LOG_UNAVAILABLE', 'identity after close');
    });

    void it(
      'I-X4, I-L8: after close and reopen the identity and timestamps are kept, and time goes on from there',
      { skip: factory.reopen === undefined ? 'the factory has no reopen()' : false },
      async () => {
        if (factory.reopen === undefined) return;
        const first = await factory.open();
        let identity;
        let stamped;
        try {
          await log3(first);
          identity = await first.identity();
          stamped = (await readAll(first, 0)).map((r) => r.timestamp);
        } finally {
          await first.close();
        }
        const again = await factory.reopen(first);
        try {
          assert.deepEqual(await again.identity(), identity);
          assert.deepEqual(
            (await readAll(again, 0)).map((r) => r.timestamp),
            stamped,
          );
          await again.append(0, 'k', bytes('after reopen'));
          const all = await readAll(again, 0);
          const last = all[all.length - 1];
          assert.ok(last !== undefined && last.timestamp >= Math.max(...stamped), 'no step back on reopen');
        } finally {
          await again.close();
        }
      },
    );

    void it('I-L8: two fresh logs have different identities', async () => {
      const a = await factory.open();
      try {
        const b = await factory.open();
        try {
          assert.notDeepEqual(await a.identity(), await b.identity());
        } finally {
          await b.close();
        }
      } finally {
        await a.close();
      }
    });
  });
}
