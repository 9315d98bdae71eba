// Property tests on hostile input: only DSV_ENV_INVALID errors, fixed message shapes, no value text (I-G2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DsvError } from '../../errors/index.ts';
import { parseEnvFile, renderEnvOutput } from './index.ts';

const ENTRY = 'expected KEY=new:value, KEY=update:value, KEY=get, KEY=get:version, or KEY=delete';
const TEMPLATES = [
  /^\.env file content is required$/,
  /^\.env file must include at least one operation$/,
  /^\.env file must include at most \d+ operations$/,
  /^Duplicate key in \.env file: (?<key>[\s\S]+)$/,
  /^Invalid \.env action on line [1-9]\d*: expected new, update, get, or delete$/,
  new RegExp(`^Invalid \\.env entry on line [1-9]\\d*: ${ENTRY.replace(/\./g, '\\.')}$`),
];

/** Runs the parser; returns the error if it threw, after checking it is a well-formed DsvError. */
function parseOrError(content: string, maxOperations = 1000): DsvError | undefined {
  try {
    const operations = parseEnvFile(content, { maxOperations });
    renderEnvOutput(operations, new Map(operations.map((op) => [op.line, 'v'])));
    return undefined;
  } catch (error) {
    assert.ok(error instanceof DsvError, `threw a non-DsvError: ${String(error)}`);
    assert.equal(error.code, 'DSV_ENV_INVALID');
    assert.equal(error.cause, undefined, 'no cause that could carry parser text');
    assert.ok(
      TEMPLATES.some((template) => template.test(error.message)),
      `unexpected message shape: ${error.message}`,
    );
    return error;
  }
}

const FRAGMENTS = [
  '=',
  ':',
  'new',
  'update',
  'get',
  'delete',
  'NEW',
  'enc(',
  'secret(',
  ')',
  '(',
  '"',
  '\\',
  '\\"',
  '\\n',
  '\\u12',
  ',',
  ', version=',
  'version=',
  '2',
  '0',
  '-1',
  '#',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\r',
  '\u2028',
  '\uFEFF',
  'KEY',
  'é',
  '🔑',
  'x',
];
const structured = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) => parts.join(''));
const arbitrary = fc.string({ unit: 'binary', maxLength: 200 });

void describe('robustness', () => {
  void it('I-G2: arbitrary text either parses or throws DSV_ENV_INVALID with one of the fixed messages', () => {
    fc.assert(
      fc.property(arbitrary, (content) => void parseOrError(content)),
      { numRuns: 500 },
    );
  });

  void it('I-G2: grammar-shaped noise either parses or throws DSV_ENV_INVALID with one of the fixed messages', () => {
    fc.assert(
      fc.property(structured, (content) => void parseOrError(content, 3)),
      { numRuns: 2000 },
    );
  });

  void it('I-G2: a duplicate-key message names only a key of the file, never text after its =', () => {
    fc.assert(
      fc.property(structured, (content) => {
        const error = parseOrError(content);
        const key = error?.message.match(TEMPLATES[3] as RegExp)?.groups?.['key'];
        if (key === undefined) return;
        assert.equal(error?.details?.['key'], key);
        assert.ok(!key.includes('='), 'a key stops at the first =');
      }),
      { numRuns: 2000 },
    );
  });

  void it('I-G2: no error message contains the value text of any line', () => {
    const MARK = 'hunter2';
    const key = fc.stringMatching(/^[A-Z_]{1,6}$/);
    const tail = fc
      .array(fc.constantFrom(...FRAGMENTS, MARK, MARK, MARK), { maxLength: 12 })
      .map((parts) => parts.join('').replace(/[\n\r\u2028]/g, ''));
    const line = fc.oneof(
      fc.tuple(key, tail).map(([k, t]) => `${k}=${t}`),
      tail.map((t) => t.replaceAll('=', '')), // no key at all: such a line may be a pasted secret
      fc.constantFrom('', '# hunter2 in a comment'),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        const error = parseOrError(lines.join('\n'));
        if (error !== undefined) assert.ok(!error.message.includes(MARK), error.message);
      }),
      { numRuns: 2000 },
    );
  });

  void it('stays linear on adversarial lines (long runs of blanks, commas and quotes)', () => {
    const long = 200_000;
    const started = performance.now();
    for (const content of [
      `K=secret(${' ,'.repeat(long)})`,
      `K=secret(${', \t'.repeat(long)}version=1)`,
      `K=enc("${'\\"'.repeat(long)}`,
      `K=get:${' '.repeat(long)}1${' '.repeat(long)}x`,
      `${'\r\n'.repeat(long)}K=get`,
    ]) {
      parseOrError(content);
    }
    assert.ok(performance.now() - started < 2000, 'parsing 1 MB of adversarial text takes well under 2 s');
  });
});
