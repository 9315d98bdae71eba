// The protocol bodies as they arrive (wire.ts), problem+json as errors (client-error.ts), and the value helpers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvClientError, problemError, toClientError } from './client-error.ts';
import { eachBounded, firstAnswers, sameBytes, valueBytes } from './values.ts';
import {
  parseEndorsement,
  parseHolderShare,
  parseOrdered,
  parsePrepared,
  parseResolved,
  parseTopology,
} from './wire.ts';

const resolved = {
  namespace: 'app',
  name: 'db',
  version: 3,
  writeId: 'w',
  tenant: 't',
  partition: 0,
  minOffset: 42,
  validFrom: '2026-12-02T00:00:00.000Z',
  validTo: null,
  holders: [{ index: 0, nodeId: 'node-0', url: 'http://a', commitment: null }],
};

const malformed = (run: () => unknown) =>
  assert.throws(
    run,
    (error: DsvClientError) => error.code === 'DSV_INTERNAL' && /malformed/.test(error.message),
  );

describe('client-side protocol bodies', () => {
  it('reads the documented shapes, generation included when present', () => {
    assert.deepEqual(
      parseTopology({ clusterId: 'c', sharing: { n: 3, k: 2, w: 2 }, nodes: [{ nodeId: 'a', url: 'u' }] }),
      {
        clusterId: 'c',
        sharing: { n: 3, k: 2, w: 2 },
        nodes: [{ nodeId: 'a', url: 'u' }],
      },
    );
    assert.deepEqual(parseResolved({ ...resolved, generation: 2 }).generation, 2);
    assert.deepEqual(parseOrdered({ duplicate: true, results: [{ version: 4, unchanged: true }] }), {
      duplicate: true,
      results: [{ version: 4, unchanged: true }],
    });
    const ordered = parseOrdered({
      writeId: 'w',
      tenant: 't',
      partition: 0,
      minOffset: 1,
      coordinator: { nodeId: 'node-1', url: 'http://b' },
      plan: [
        { op: 'update', namespace: 'app', name: 'db', version: 4, holders: [], previous: resolved },
        { op: 'delete', namespace: 'app', name: 'old', version: 2 },
      ],
    });
    assert.ok(!('duplicate' in ordered) && ordered.plan[0]?.previous?.version === 3);
    assert.deepEqual(parseHolderShare({ index: 1, share: 'AQI=' }), {
      index: 1,
      share: new Uint8Array([1, 2]),
    });
  });

  it('refuses anything else as a malformed answer (never a crash further in)', () => {
    malformed(() => parseTopology({ clusterId: 'c', sharing: { n: 2, k: 3, w: 2 }, nodes: [] }));
    malformed(() => parseResolved({ ...resolved, version: 0 }));
    malformed(() =>
      parseResolved({ ...resolved, holders: [{ index: -1, nodeId: 'a', url: 'u', commitment: null }] }),
    );
    malformed(() =>
      parseResolved({ ...resolved, holders: [{ index: 0, nodeId: 'a', url: null, commitment: null }] }),
    );
    malformed(() => parseOrdered({ writeId: 'w', plan: [] }));
    malformed(() => parseHolderShare({ index: 0, share: 'not base64!' }));
    malformed(() => parseHolderShare(null));
    malformed(() => parsePrepared({ writeId: 'w', partition: 0, intent: 'x', endorsementsNeeded: 1 }));
    malformed(() => parseEndorsement({ node: 'a' }));
  });
});

describe('client errors', () => {
  it('problem+json keeps code, status, detail and safe details; an unknown code is named', () => {
    const error = problemError(409, {
      code: 'DSV_SECRET_EXISTS',
      detail: 'Secret already exists',
      details: { opIndex: 0, x: {} },
    });
    assert.deepEqual(
      [error.status, error.code, error.message, error.details],
      [409, 'DSV_SECRET_EXISTS', 'Secret already exists', { opIndex: 0 }],
    );
    const future = problemError(418, { code: 'DSV_FUTURE', detail: 'new' });
    assert.deepEqual(
      [future.status, future.code, future.details?.serverCode],
      [418, 'DSV_INTERNAL', 'DSV_FUTURE'],
    );
    assert.equal(problemError(502, '<html>').message, 'HTTP 502');
  });

  it('anything thrown becomes a DsvClientError with the registry status', () => {
    const wrapped = toClientError(new Error('boom'));
    assert.deepEqual(
      [wrapped instanceof DsvClientError, wrapped.code, wrapped.status],
      [true, 'DSV_INTERNAL', 500],
    );
    assert.equal(new DsvClientError('DSV_INSUFFICIENT_SHARDS').status, 503);
  });
});

describe('value helpers', () => {
  it('text is UTF-8 the library owns; bytes stay the caller’s; a lone surrogate is refused', () => {
    assert.deepEqual(valueBytes('é'), { bytes: new Uint8Array([0xc3, 0xa9]), owned: true });
    const mine = new Uint8Array([1]);
    assert.equal(valueBytes(mine).bytes, mine);
    assert.throws(
      () => valueBytes('\ud800'),
      (error: DsvClientError) => error.code === 'DSV_INPUT_INVALID',
    );
  });

  it('sameBytes compares lengths, then contents', () => {
    assert.ok(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
    assert.ok(!sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
    assert.ok(!sameBytes(new Uint8Array([1]), new Uint8Array([1, 0])));
  });

  it('eachBounded runs at most `limit` tasks at once; after a failure the running ones finish, then it throws', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await assert.rejects(
      eachBounded([1, 2, 3, 4, 5], 2, async (item) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        done.push(item);
        if (item === 1) throw new Error('first');
      }),
      /first/,
    );
    assert.equal(most, 2);
    assert.equal(running, 0);
    assert.deepEqual(done.sort(), [1, 2]);
  });
});

describe('firstAnswers', () => {
  const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('asks `needed` at a time and a replacement for each failure, until enough answered', async () => {
    const asked: string[] = [];
    const answers = await firstAnswers(
      ['a', 'b', 'c', 'd'],
      2,
      async (node) => {
        asked.push(node);
        await after(node === 'b' ? 1 : 5);
        if (node === 'b') throw new Error('down');
        return node.toUpperCase();
      },
      () => new Error('too few'),
    );
    assert.deepEqual(
      [answers.sort(), asked],
      [
        ['A', 'C'],
        ['a', 'b', 'c'],
      ],
    );
  });

  it('rejects with the failures once too few candidates are left', async () => {
    await assert.rejects(
      firstAnswers(
        ['a', 'b'],
        2,
        async (node) => {
          if (node === 'a') throw new Error('refused');
          return node;
        },
        (failures) => new Error(`too few: ${failures.length}`),
      ),
      /too few: 1/,
    );
  });
});
