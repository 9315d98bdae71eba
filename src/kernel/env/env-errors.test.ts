// Every DSV_ENV_INVALID message exactly as API-V1 words it, with the right 1-based physical line number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvError } from '../../errors/index.ts';
import { MAX_ENV_OPERATIONS, parseEnvFile } from './index.ts';

const ENTRY = ': expected KEY=new:value, KEY=update:value, KEY=get, KEY=get:version, or KEY=delete';
const entry = (line: number): string => `Invalid .env entry on line ${line}${ENTRY}`;
const action = (line: number): string =>
  `Invalid .env action on line ${line}: expected new, update, get, or delete`;

function failure(content: string | null | undefined, maxOperations?: number): DsvError {
  try {
    parseEnvFile(content, maxOperations === undefined ? {} : { maxOperations });
  } catch (error) {
    assert.ok(error instanceof DsvError, 'only DsvError is thrown');
    assert.equal(error.code, 'DSV_ENV_INVALID');
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(content)} to be rejected`);
}
const messageOf = (content: string | null | undefined): string => failure(content).message;

void describe('parseEnvFile errors', () => {
  void it('missing, empty or whitespace-only content: .env file content is required', () => {
    for (const content of [undefined, null, '', '   ', '\n\r\n\t', '\uFEFF', ' \u2003 ']) {
      assert.equal(messageOf(content), '.env file content is required', JSON.stringify(content));
    }
  });

  void it('only comments and blank lines: .env file must include at least one operation', () => {
    assert.equal(messageOf('# one\n\n  # two\r\n'), '.env file must include at least one operation');
  });

  void it('a repeated key names the key, also across forms and after trimming', () => {
    assert.equal(messageOf('Key1=new:val\nKey1=update:other'), 'Duplicate key in .env file: Key1');
    assert.equal(messageOf('A=enc(x)\n A =secret(Y)'), 'Duplicate key in .env file: A');
    const error = failure('# c\nA=get\n\nA = delete');
    assert.equal(error.message, 'Duplicate key in .env file: A');
    assert.deepEqual(error.details, { line: 4, key: 'A' });
  });

  void it('keys are case-sensitive, so A and a are different keys', () => {
    assert.equal(parseEnvFile('A=get\na=get').length, 2);
  });

  void it('an unknown action word is an action error', () => {
    assert.equal(messageOf('Key1=rename:x'), action(1));
    assert.equal(messageOf('Key1=replace:val'), action(1));
    assert.equal(messageOf('\n\n# c\nK=foo'), action(4));
    assert.equal(messageOf('K=:value'), action(1));
    assert.equal(messageOf('K=secret'), action(1));
    assert.equal(messageOf('K=enc (x)'), action(1));
  });

  void it('malformed original entries are entry errors on their line', () => {
    const cases: Array<[string, number]> = [
      ['NOEQUALS', 1],
      ['A=get\nNOEQUALS', 2],
      ['=new:x', 1],
      ['   =get', 1],
      ['\u00a0=get', 1],
      ['K=', 1],
      ['K=new', 1],
      ['K=update', 1],
      ['K=get:', 1],
      ['K=get:abc', 1],
      ['K=get:1.5', 1],
      ['K=get:0', 1],
      ['K=get:-2', 1],
      ['K=get:9007199254740992', 1],
      ['# c\r\n\r\nK=new', 3],
    ];
    for (const [content, line] of cases) {
      assert.equal(messageOf(content), entry(line), JSON.stringify(content));
    }
  });

  void it('malformed enc(...) and secret(...) are entry errors', () => {
    const cases = [
      'K=enc(x',
      'K=enc(x)#comment', // no blank before '#': not a comment
      'K=enc("x"',
      'K=enc("x") y',
      'K=enc("x", version=1)',
      'K=enc("unterminated)',
      'K=enc("bad \\q escape")',
      'K=enc("raw\ttab")',
      'K=enc("\\ud800")',
      'K=secret()',
      'K=secret("")',
      'K=secret(, version=2)',
      'K=secret(N',
      'K=secret("N" version=2)',
      'K=secret(N, version=0)',
      'K=secret("N", version=0)',
      'K=secret(N, version=99999999999999999999)',
    ];
    for (const content of cases) assert.equal(messageOf(content), entry(1), content);
  });

  void it('the first bad line in file order decides, whatever follows', () => {
    assert.equal(messageOf('A=get\nB=bogus\nA=get\nC'), action(2));
    assert.equal(messageOf('A=get\nA=bogus'), action(2));
  });

  void it(`more than the operation limit (default ${MAX_ENV_OPERATIONS}) is refused at the first extra line`, () => {
    const content = Array.from({ length: MAX_ENV_OPERATIONS + 1 }, (_, i) => `K${i}=get`).join('\n');
    const error = failure(content);
    assert.equal(error.message, `.env file must include at most ${MAX_ENV_OPERATIONS} operations`);
    assert.deepEqual(error.details, { line: MAX_ENV_OPERATIONS + 1, max: MAX_ENV_OPERATIONS });
    assert.equal(failure('A=get\n#\nB=get', 1).message, '.env file must include at most 1 operations');
  });

  void it('a cap that is not a positive integer is a configuration bug, never "no cap"', () => {
    for (const maxOperations of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => parseEnvFile('A=get', { maxOperations }),
        (error: unknown) => error instanceof DsvError && error.code === 'DSV_INTERNAL',
      );
    }
  });

  void it('entry errors carry the line and a value-free reason for v2 clients', () => {
    assert.deepEqual(failure('\nK=enc(x').details, { line: 2, reason: 'malformed-expression' });
    assert.deepEqual(failure('K=get:x').details, { line: 1, reason: 'invalid-version' });
  });

  void it('I-G2: no message quotes the value of the bad line', () => {
    for (const content of ['K=enc("hunter2', 'K=get:hunter2', 'K=hunter2:x', 'hunter2', 'K=secret(hunter2']) {
      const error = failure(content);
      assert.ok(!error.message.includes('hunter2'), content);
      assert.equal(error.cause, undefined);
    }
  });
});
