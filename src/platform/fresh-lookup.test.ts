// FreshLookup: every caller's answer comes from a look-up that started after its call (linearizable strong
// reads), and concurrent callers share look-ups (at most two outstanding per key).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FreshLookup } from './fresh-lookup.ts';

/** A look-up whose answers the test releases by hand; each answer is the look-up's start number. */
function manualLookups() {
  const started: Array<{ key: string; resolve: (n: number) => void; reject: (e: Error) => void }> = [];
  const lookup = (key: string) =>
    new Promise<number>((resolve, reject) => {
      started.push({ key, resolve, reject });
    });
  return { started, lookup };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('callers that arrive while a look-up runs share the next one, which starts after it ends', async () => {
  const { started, lookup } = manualLookups();
  const fresh = new FreshLookup(lookup);
  const first = fresh.get('p');
  assert.equal(started.length, 1);
  const second = fresh.get('p');
  const third = fresh.get('p');
  assert.equal(started.length, 1, 'nothing new starts while one runs');
  started[0]?.resolve(0);
  assert.equal(await first, 0);
  await tick();
  assert.equal(started.length, 2, 'one look-up for both waiting callers');
  started[1]?.resolve(1);
  assert.deepEqual(await Promise.all([second, third]), [1, 1]);
});

test('keys are independent, and a failed look-up fails only its own callers', async () => {
  const { started, lookup } = manualLookups();
  const fresh = new FreshLookup(lookup);
  const a = fresh.get('a');
  const b = fresh.get('b');
  assert.equal(started.length, 2);
  const aAgain = fresh.get('a');
  started[0]?.reject(new Error('broker down'));
  await assert.rejects(a, /broker down/);
  await tick();
  assert.equal(started.length, 3, 'the queued caller gets a look-up of its own after the failure');
  started[2]?.resolve(7);
  assert.equal(await aAgain, 7);
  started[1]?.resolve(5);
  assert.equal(await b, 5);
});

test('property: every answer comes from a look-up that started after the call; one runs at a time', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constant('call' as const), fc.constant('finish' as const)), { maxLength: 60 }),
      async (steps) => {
        let clock = 0;
        const running: Array<{ startedAt: number; resolve: (v: number) => void }> = [];
        let outstanding = 0;
        const fresh = new FreshLookup(
          () =>
            new Promise<number>((resolve) => {
              const startedAt = ++clock;
              outstanding++;
              assert.ok(outstanding <= 1, 'one look-up running per key at a time');
              running.push({ startedAt, resolve: (v) => (outstanding--, resolve(v)) });
            }),
        );
        const calls: Array<Promise<{ calledAt: number; startedAt: number }>> = [];
        for (const step of steps) {
          if (step === 'call') {
            const calledAt = ++clock;
            calls.push(fresh.get('p').then((startedAt) => ({ calledAt, startedAt })));
          } else {
            const next = running.shift();
            next?.resolve(next.startedAt);
          }
          await tick();
        }
        while (running.length > 0 || outstanding > 0) {
          const next = running.shift();
          next?.resolve(next.startedAt);
          await tick();
        }
        for (const { calledAt, startedAt } of await Promise.all(calls))
          assert.ok(
            startedAt > calledAt,
            `answer from a look-up started at ${startedAt}, call at ${calledAt}`,
          );
      },
    ),
    { numRuns: 200 },
  );
});
