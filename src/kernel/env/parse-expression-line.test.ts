// DSV's forms (DESIGN §10): NAME=enc(value), X=secret(NAME), pins, and the JSON-quoted argument.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvFile, type EnvOperation } from './index.ts';

const parseOne = (content: string): EnvOperation => {
  const operations = parseEnvFile(content);
  assert.equal(operations.length, 1);
  return operations[0] as EnvOperation;
};
const valueOf = (content: string): string => (parseOne(content) as { value: string }).value;
const nameOf = (content: string): string => (parseOne(content) as { name: string }).name;

void describe('enc(value)', () => {
  void it('creates the secret named KEY with output reference', () => {
    assert.deepEqual(parseOne('API_KEY=enc(abc123)'), {
      kind: 'create',
      line: 1,
      key: 'API_KEY',
      value: 'abc123',
      output: 'reference',
    });
  });

  void it('takes unquoted text verbatim up to the final ) of the line, :, =, ( and ) included', () => {
    assert.equal(valueOf('A=enc(a:b=c(d)e))'), 'a:b=c(d)e)');
    assert.equal(valueOf('A=enc( spaced )'), ' spaced ');
    assert.equal(valueOf('A = enc(x)  '), 'x');
  });

  void it('accepts an empty value, unquoted or quoted', () => {
    assert.equal(valueOf('A=enc()'), '');
    assert.equal(valueOf('A=enc("")'), '');
  });

  void it('decodes a JSON-quoted value: newlines, quotes, backslashes, \\u escapes, parentheses', () => {
    assert.equal(valueOf('A=enc("multi\\nline")'), 'multi\nline');
    assert.equal(valueOf('A=enc("say \\"hi\\" \\\\ (x)")'), 'say "hi" \\ (x)');
    assert.equal(valueOf('A=enc("\\u00e9\\ud83d\\udd11\\t")'), 'é🔑\t');
    assert.equal(valueOf('A=enc("a)" )'), 'a)');
  });

  void it('keeps Unicode text as written', () => {
    assert.equal(valueOf('A=enc(пароль 🔐)'), 'пароль 🔐');
  });

  void it('is case-sensitive: ENC(x) is read as an (invalid) action of the original grammar', () => {
    assert.throws(() => parseEnvFile('A=ENC(x)'), /Invalid \.env action on line 1/);
  });
});

void describe('secret(NAME)', () => {
  void it('reads the latest version of NAME into key X, dotenv output', () => {
    assert.deepEqual(parseOne('X=secret(DB_PASS)'), {
      kind: 'get',
      line: 1,
      key: 'X',
      name: 'DB_PASS',
      output: 'dotenv',
    });
  });

  void it('a trailing ", version=N" pins the version', () => {
    assert.deepEqual(parseOne('X=secret(DB_PASS, version=3)'), {
      kind: 'get',
      line: 1,
      key: 'X',
      name: 'DB_PASS',
      version: 3,
      output: 'dotenv',
    });
    assert.equal((parseOne('X=secret(N,version=2)') as { version?: number }).version, 2);
    assert.equal((parseOne('X=secret(N ,  version = 2 )') as { version?: number }).version, 2);
  });

  void it('names may contain commas: only the trailing pin after the last comma counts', () => {
    const op = parseOne('X=secret(a, b, version=1, version=4)') as { name: string; version?: number };
    assert.equal(op.name, 'a, b, version=1');
    assert.equal(op.version, 4);
    assert.equal(nameOf('X=secret(a, version=1, b)'), 'a, version=1, b');
    assert.equal(nameOf('X=secret(a, version=x)'), 'a, version=x');
    assert.equal(nameOf('X=secret(a, version=-1)'), 'a, version=-1');
    assert.equal(nameOf('X=secret(a, Version=1)'), 'a, Version=1');
  });

  void it('a quoted name holds what unquoted text cannot: a leading quote, a line break, a pin-like tail', () => {
    assert.equal(nameOf('X=secret("name with ) paren")'), 'name with ) paren');
    assert.equal(nameOf('X=secret("\\"quoted")'), '"quoted');
    assert.equal(nameOf('X=secret("a\\nb")'), 'a\nb');
    assert.equal(nameOf('X=secret("a, version=2")'), 'a, version=2');
    const pinned = parseOne('X=secret("a, version=2", version=5)') as { name: string; version?: number };
    assert.deepEqual([pinned.name, pinned.version], ['a, version=2', 5]);
  });

  void it('names with slashes and Unicode are opaque text', () => {
    assert.equal(nameOf('X=secret(team/app/db 🔑)'), 'team/app/db 🔑');
  });
});
