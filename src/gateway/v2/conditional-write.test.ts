// Parsing of the v2 write conditions (If-Match / If-None-Match) and read selectors (?version / ?asOf).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWriteCondition } from './conditional-write.ts';
import { readSelector } from './secret-handlers.ts';

const code = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('parseWriteCondition', () => {
  it('no header is create-or-update; If-None-Match: * is create-only; If-Match: * needs the secret', () => {
    assert.deepEqual(parseWriteCondition(undefined, undefined), { kind: 'none' });
    assert.deepEqual(parseWriteCondition(undefined, ' * '), { kind: 'absent' });
    assert.deepEqual(parseWriteCondition('*', undefined), { kind: 'exists' });
  });

  it('If-Match takes strong tags (a list too); weak tags never match (RFC 9110 strong comparison)', () => {
    assert.deepEqual(parseWriteCondition('"3"', undefined), { kind: 'versions', versions: [3] });
    assert.deepEqual(parseWriteCondition('"3", W/"4" ,"12"', undefined), {
      kind: 'versions',
      versions: [3, 12],
    });
    assert.deepEqual(parseWriteCondition('W/"4"', undefined), { kind: 'versions', versions: [] });
  });

  it('anything else is 400, and both headers at once is 400', () => {
    for (const bad of ['3', '"0"', '"-1"', '"1.5"', '"abc"', '', '"1"x']) {
      assert.equal(
        code(() => parseWriteCondition(bad, undefined)),
        'DSV_INPUT_INVALID',
        bad,
      );
    }
    assert.equal(
      code(() => parseWriteCondition(undefined, '"3"')),
      'DSV_INPUT_INVALID',
    );
    assert.equal(
      code(() => parseWriteCondition('"1"', '*')),
      'DSV_INPUT_INVALID',
    );
  });
});

describe('readSelector', () => {
  it('latest by default; version or asOf (RFC 3339, any offset); never both', () => {
    assert.deepEqual(readSelector({}), { latest: true });
    assert.deepEqual(readSelector({ version: 2 }), { version: 2 });
    assert.deepEqual(readSelector({ asOf: '2026-01-01T01:00:00+01:00' }), {
      asOf: Date.parse('2026-01-01T00:00:00Z'),
    });
    assert.equal(
      code(() => readSelector({ version: 1, asOf: '2026-01-01T00:00:00Z' })),
      'DSV_INPUT_INVALID',
    );
    assert.equal(
      code(() => readSelector({ asOf: 'not a time' })),
      'DSV_INPUT_INVALID',
    );
  });

  it('a version past 2^53, infinite, fractional or below 1, and a repeated asOf, are 400s', () => {
    for (const version of [Infinity, 9007199254740992, 1.5, 0, -1, Number.NaN, '2', [1, 2]]) {
      assert.equal(
        code(() => readSelector({ version })),
        'DSV_INPUT_INVALID',
        String(version),
      );
    }
    assert.equal(
      code(() => readSelector({ asOf: ['2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'] })),
      'DSV_INPUT_INVALID',
    );
  });
});
