// One dotenv grammar on the server (issue 11): quoted enc(…)/secret(…) values (single: literal; double:
// escapes), an `export ` prefix (the secret is named without it; the output keeps it), comments after an
// unquoted value, and an error naming the line for anything enc(/secret(-like that would not be acted on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvError } from '../../errors/index.ts';
import { parseEnvFile, renderEnvOutput } from './index.ts';

const parsed = (content: string) => parseEnvFile(content);
const only = (content: string) => {
  const [operation, ...rest] = parseEnvFile(content);
  assert.ok(operation !== undefined && rest.length === 0, content);
  return operation;
};
const entryError = (content: string, line: number, reason?: string) =>
  assert.throws(
    () => parseEnvFile(content),
    (error: unknown) =>
      error instanceof DsvError &&
      error.code === 'DSV_ENV_INVALID' &&
      error.message.startsWith(`Invalid .env entry on line ${line}:`) &&
      (reason === undefined || (error.details as { reason?: string }).reason === reason),
    content,
  );

describe('dotenv forms of enc(…) and secret(…)', () => {
  it('double-quoted: stored, escapes decoded; a comment may follow the closing quote', () => {
    assert.deepEqual(only('KEY="enc(s3cret)"'), {
      kind: 'create',
      line: 1,
      key: 'KEY',
      value: 's3cret',
      output: 'reference',
    });
    assert.equal(
      (only('KEY="enc(a\\"b\\\\c\\nd # not a comment)"  # note') as { value: string }).value,
      'a"b\\c\nd # not a comment',
    );
    assert.equal((only('KEY = " enc(x) "') as { value: string }).value, 'x');
    assert.deepEqual(only('X="secret(db/password, version=2)"'), {
      kind: 'get',
      line: 1,
      key: 'X',
      name: 'db/password',
      version: 2,
      output: 'dotenv',
    });
  });

  it('single-quoted: literal (no escapes), stored', () => {
    assert.equal((only("KEY='enc(a\\nb)'") as { value: string }).value, 'a\\nb');
    assert.equal((only("KEY='enc(x)' # c") as { value: string }).value, 'x');
    assert.equal((only("X='secret(N)'") as { name: string }).name, 'N');
  });

  it('export: the secret is named without it and the output line keeps it', () => {
    const operations = parsed('export KEY=enc(v)\nexport  X="secret(KEY)"\nexport\tY=secret(KEY, version=1)');
    assert.deepEqual(
      operations.map((op) => [op.kind, op.key, 'exported' in op ? op.exported : undefined]),
      [
        ['create', 'KEY', true],
        ['get', 'X', true],
        ['get', 'Y', true],
      ],
    );
    assert.equal(
      renderEnvOutput(
        operations,
        new Map([
          [2, 'v'],
          [3, 'v #1'],
        ]),
      ),
      'export KEY=secret(KEY)\nexport X=v\nexport Y="v #1"',
    );
    // `export KEY` and `KEY` are the same key: a duplicate.
    assert.throws(() => parseEnvFile('KEY=enc(a)\nexport KEY=enc(b)'), /Duplicate key in \.env file: KEY/);
    // The original actions keep the original grammar byte for byte.
    assert.equal(only('export KEY=get').key, 'export KEY');
  });

  it('comments: at line start, and after an unquoted value preceded by a blank', () => {
    assert.deepEqual(
      parsed('# enc(x) here is a comment\n\nKEY=enc(abc)   # the API key\nX=secret(KEY) #pinned later').map(
        (op) => [op.line, op.kind, 'value' in op ? op.value : 'name' in op ? op.name : ''],
      ),
      [
        [3, 'create', 'abc'],
        [4, 'get', 'KEY'],
      ],
    );
    assert.equal((only('KEY=enc("a #b")  # c') as { value: string }).value, 'a #b');
    assert.equal((only('X=secret("a #b", version=3) # c') as { version: number }).version, 3);
    assert.equal((only('KEY=enc(a#b)') as { value: string }).value, 'a#b', 'no blank before #: text');
  });

  it('anything enc(/secret(-like that would not be stored or resolved is an error naming the line', () => {
    entryError('A=get\nKEY="enc(x)', 2, 'unterminated-quote');
    entryError("A=get\n\nKEY='secret(x)", 3, 'unterminated-quote');
    entryError('KEY="enc(x)" trailing', 1, 'text-after-quote');
    entryError("KEY='enc(x)'y", 1, 'text-after-quote');
    entryError('KEY=enc(a #b)', 1, 'malformed-expression'); // the comment cuts it: quote such a value
    entryError('KEY="enc(x"', 1, 'malformed-expression');
    assert.equal(only('export = enc(x)').key, 'export', 'a key that is only "export" is that key');
    assert.throws(() => parseEnvFile('KEY="ENC(x)"'), /Invalid \.env action on line 1/);
  });
});
