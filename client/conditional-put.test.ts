// The v2 PUT rules on the client (conditional-put.ts), against a scripted log: which op each attempt orders,
// with which expected version and attempt number, and what the caller gets back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../src/errors/index.ts';
import { DsvClientError } from './client-error.ts';
import { conditionalDelete, conditionalPut, type PutOptions, type WriteOne } from './conditional-put.ts';
import { asLogDecision } from './write-flow.ts';
import type { OpResult } from './wire.ts';

type Attempt = { op: string; expectedVersion?: number; attempt?: number };

/** A log that answers each ordered attempt in turn: a result, or the code it rejects with. */
function scripted(answers: ReadonlyArray<OpResult | ErrorCode>): { write: WriteOne; attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  const write: WriteOne = async (op, fields) => {
    attempts.push({ op, ...fields });
    const answer = answers[attempts.length - 1];
    if (answer === undefined) assert.fail('more attempts than scripted');
    if (typeof answer === 'string') throw asLogDecision(new DsvClientError(answer));
    return answer;
  };
  return { write, attempts };
}

const latest = (version: number | undefined) => async () => version;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DsvClientError);
    return error.code;
  }
  return 'none';
}

describe('client-side PUT rules', () => {
  it('create-or-update: an update first; a missing secret becomes a create (attempt 2), created: true', async () => {
    const { write, attempts } = scripted(['DSV_SECRET_NOT_FOUND', { version: 1 }]);
    assert.deepEqual(await conditionalPut(write, latest(undefined)), {
      version: 1,
      created: true,
      unchanged: false,
    });
    assert.deepEqual(attempts, [{ op: 'update' }, { op: 'create', attempt: 2 }]);
  });

  it('create-or-update: a lost create race becomes an update again; at most three attempts', async () => {
    const { write, attempts } = scripted(['DSV_SECRET_NOT_FOUND', 'DSV_SECRET_EXISTS', { version: 5 }]);
    assert.deepEqual(await conditionalPut(write, latest(undefined)), {
      version: 5,
      created: false,
      unchanged: false,
    });
    assert.deepEqual(
      attempts.map((a) => [a.op, a.attempt]),
      [
        ['update', undefined],
        ['create', 2],
        ['update', 3],
      ],
    );
    const endless = scripted(['DSV_SECRET_NOT_FOUND', 'DSV_SECRET_EXISTS', 'DSV_SECRET_NOT_FOUND']);
    assert.equal(await codeOf(conditionalPut(endless.write, latest(undefined))), 'DSV_SECRET_NOT_FOUND');
  });

  it('an unchanged update answers its version, unchanged: true (never created, even at version 1)', async () => {
    const { write } = scripted([{ version: 1, unchanged: true }]);
    assert.deepEqual(await conditionalPut(write, latest(1)), { version: 1, created: false, unchanged: true });
  });

  it('a failure that is not the log saying exists/missing is not retried', async () => {
    const conflict = scripted(['DSV_WRITE_CONFLICT']);
    assert.equal(await codeOf(conditionalPut(conflict.write, latest(1))), 'DSV_WRITE_CONFLICT');
    // A 404 from a holder during the compare read is no verdict of the log: no create is tried.
    const write: WriteOne = async () => {
      throw new DsvClientError('DSV_SECRET_NOT_FOUND');
    };
    assert.equal(await codeOf(conditionalPut(write, latest(1))), 'DSV_SECRET_NOT_FOUND');
  });

  it('If-None-Match: * is one create; the log says 409', async () => {
    const { write, attempts } = scripted(['DSV_SECRET_EXISTS']);
    assert.equal(await codeOf(conditionalPut(write, latest(1), { ifNoneMatch: '*' })), 'DSV_SECRET_EXISTS');
    assert.deepEqual(attempts, [{ op: 'create' }]);
  });

  it('If-Match: one version travels as expectedVersion; * expects none; a missing secret is 412', async () => {
    const one = scripted([{ version: 4 }]);
    await conditionalPut(one.write, latest(undefined), { ifMatch: 3 });
    assert.deepEqual(one.attempts, [{ op: 'update', expectedVersion: 3 }]);
    const any = scripted(['DSV_SECRET_NOT_FOUND']);
    assert.equal(
      await codeOf(conditionalPut(any.write, latest(undefined), { ifMatch: '*' })),
      'DSV_PRECONDITION_FAILED',
    );
    assert.deepEqual(any.attempts, [{ op: 'update' }]);
  });

  it('If-Match with several versions: the latest if listed; else 412 without ordering, or ordered with a key', async () => {
    const listed = scripted([{ version: 6 }]);
    await conditionalPut(listed.write, latest(5), { ifMatch: [2, 5] });
    assert.deepEqual(listed.attempts, [{ op: 'update', expectedVersion: 5 }]);
    const stale = scripted([]);
    assert.equal(
      await codeOf(conditionalPut(stale.write, latest(7), { ifMatch: [2, 5] })),
      'DSV_PRECONDITION_FAILED',
    );
    assert.deepEqual(stale.attempts, []);
    // With a key the first attempt may have moved the version: the log replays it (or answers 412).
    const replay = scripted([{ version: 6 }]);
    const options: PutOptions = { ifMatch: [2, 5], idempotencyKey: 'k' };
    assert.deepEqual(await conditionalPut(replay.write, latest(6), options), {
      version: 6,
      created: false,
      unchanged: false,
    });
    assert.deepEqual(replay.attempts, [{ op: 'update', expectedVersion: 5 }]);
  });

  it('refuses what the server refuses: both conditions, other If-None-Match, bad versions, bad keys', async () => {
    const { write } = scripted([]);
    for (const options of [
      { ifMatch: 1, ifNoneMatch: '*' },
      { ifNoneMatch: 'x' },
      { ifMatch: 0 },
      { ifMatch: [] },
      { ifMatch: [1.5] },
      { idempotencyKey: 'has space' },
      { idempotencyKey: 'x'.repeat(201) },
    ] as PutOptions[])
      assert.equal(
        await codeOf(conditionalPut(write, latest(1), options)),
        'DSV_INPUT_INVALID',
        JSON.stringify(options),
      );
  });

  it('delete: plain, or compare-and-set with the same rules (a missing secret under a condition is 412)', async () => {
    const plain = scripted([{ version: 3 }]);
    await conditionalDelete(plain.write, latest(3));
    assert.deepEqual(plain.attempts, [{ op: 'delete' }]);
    const cas = scripted([{ version: 3 }]);
    await conditionalDelete(cas.write, latest(3), { ifMatch: [2, 3] });
    assert.deepEqual(cas.attempts, [{ op: 'delete', expectedVersion: 3 }]);
    const gone = scripted(['DSV_SECRET_NOT_FOUND']);
    assert.equal(
      await codeOf(conditionalDelete(gone.write, latest(undefined), { ifMatch: '*' })),
      'DSV_PRECONDITION_FAILED',
    );
    const missing = scripted(['DSV_SECRET_NOT_FOUND']);
    assert.equal(await codeOf(conditionalDelete(missing.write, latest(undefined))), 'DSV_SECRET_NOT_FOUND');
  });
});
