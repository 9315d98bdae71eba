// The original grammar (API-V1 `.env`): every action, line breaks, trimming, comments, verbatim values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvFile, type EnvOperation } from './index.ts';

const parseOne = (content: string): EnvOperation => {
  const operations = parseEnvFile(content);
  assert.equal(operations.length, 1);
  return operations[0] as EnvOperation;
};

void describe('parseEnvFile: the original actions', () => {
  void it('KEY=new:value creates with the value verbatim, output value', () => {
    assert.deepEqual(parseOne('DB_PASS=new:s3cret'), {
      kind: 'create',
      line: 1,
      key: 'DB_PASS',
      value: 's3cret',
      output: 'value',
    });
  });

  void it('KEY=update:value updates', () => {
    assert.deepEqual(parseOne('A=update:two'), { kind: 'update', line: 1, key: 'A', value: 'two' });
  });

  void it('KEY=get reads the latest version of the secret named KEY, raw output', () => {
    assert.deepEqual(parseOne('A=get'), { kind: 'get', line: 1, key: 'A', name: 'A', output: 'raw' });
  });

  void it('KEY=get:N reads version N; the number is trimmed and may carry a + sign, as Long.parseLong', () => {
    assert.deepEqual(parseOne('A=get:12'), {
      kind: 'get',
      line: 1,
      key: 'A',
      name: 'A',
      version: 12,
      output: 'raw',
    });
    assert.equal((parseOne('A=get: 7 ') as { version?: number }).version, 7);
    assert.equal((parseOne('A=get:+3') as { version?: number }).version, 3);
    assert.equal((parseOne('A=get:007') as { version?: number }).version, 7);
  });

  void it('KEY=delete deletes; KEY=delete:anything is tolerated as the original does', () => {
    assert.deepEqual(parseOne('A=delete'), { kind: 'delete', line: 1, key: 'A' });
    assert.deepEqual(parseOne('A=delete:ignored'), { kind: 'delete', line: 1, key: 'A' });
  });

  void it('actions are trimmed and case-insensitive', () => {
    assert.equal(parseOne('A= NEW :v').kind, 'create');
    assert.equal(parseOne('A=Update:v').kind, 'update');
    assert.equal(parseOne('A=GeT').kind, 'get');
    assert.equal(parseOne('A = Delete').kind, 'delete');
  });

  void it('new: and update: accept an empty value (empty string values are allowed)', () => {
    assert.deepEqual(parseOne('A=new:'), { kind: 'create', line: 1, key: 'A', value: '', output: 'value' });
    assert.deepEqual(parseOne('A=update:'), { kind: 'update', line: 1, key: 'A', value: '' });
  });
});

void describe('parseEnvFile: values and keys', () => {
  void it('the value is everything after the first colon, with further : and = kept', () => {
    const op = parseOne('URL=new:postgres://u:p@h:5432/db?a=b&c==d');
    assert.equal((op as { value: string }).value, 'postgres://u:p@h:5432/db?a=b&c==d');
  });

  void it('the key is the trimmed text before the first =', () => {
    assert.equal(parseOne('  MY KEY  =get').key, 'MY KEY');
    assert.equal(parseOne('k:x=get').key, 'k:x');
  });

  void it('leading blanks of a value are kept; the line trim drops only trailing ones', () => {
    assert.equal((parseOne('A=new:  padded  ') as { value: string }).value, '  padded');
  });

  void it('only code units ≤ U+0020 are trimmed, so a trailing no-break space stays in the value', () => {
    assert.equal((parseOne('A=new:x\u00a0') as { value: string }).value, 'x\u00a0');
  });

  void it('a # inside a value is part of it; only lines starting with # are comments', () => {
    assert.equal((parseOne('A=new:x # not a comment') as { value: string }).value, 'x # not a comment');
  });

  void it('Unicode keys and values are kept as written', () => {
    const op = parseOne('ключ_🔑=new:значение 🌍 値');
    assert.equal(op.key, 'ключ_🔑');
    assert.equal((op as { value: string }).value, 'значение 🌍 値');
  });

  void it('a leading byte-order mark is not part of the first key', () => {
    assert.equal(parseOne('\uFEFFA=get').key, 'A');
  });
});

void describe('parseEnvFile: lines', () => {
  void it('skips blank and comment lines but counts them in line numbers', () => {
    const ops = parseEnvFile('# header\n\n   \n  # indented comment\nA=get\n\nB=delete\n');
    assert.deepEqual(
      ops.map((op) => [op.key, op.line]),
      [
        ['A', 5],
        ['B', 7],
      ],
    );
  });

  void it('splits on CRLF, LF and CR mixed, CRLF counting as one break', () => {
    const ops = parseEnvFile('A=get\r\nB=get\rC=get\nD=get\r\n\r\nE=get');
    assert.deepEqual(
      ops.map((op) => [op.key, op.line]),
      [
        ['A', 1],
        ['B', 2],
        ['C', 3],
        ['D', 4],
        ['E', 6],
      ],
    );
  });

  void it("also splits on the rest of Java's \\R set (VT, FF, NEL, LS, PS), as the original did", () => {
    const ops = parseEnvFile('A=get\u000bB=get\u000cC=get\u0085D=get\u2028E=get\u2029F=get');
    assert.deepEqual(
      ops.map((op) => op.line),
      [1, 2, 3, 4, 5, 6],
    );
  });

  void it('LF CR is two breaks (an empty line between)', () => {
    assert.deepEqual(
      parseEnvFile('A=get\n\rB=get').map((op) => op.line),
      [1, 3],
    );
  });

  void it('keeps file order across kinds', () => {
    const ops = parseEnvFile('A=new:1\nB=update:2\nC=get\nD=delete\nE=enc(5)\nF=secret(C)');
    assert.deepEqual(
      ops.map((op) => op.kind),
      ['create', 'update', 'get', 'delete', 'create', 'get'],
    );
  });

  void it('accepts exactly the operation limit, comments not counted', () => {
    const lines = Array.from({ length: 3 }, (_, i) => `# c\nK${i}=get`);
    assert.equal(parseEnvFile(lines.join('\n'), { maxOperations: 3 }).length, 3);
  });
});
