// The response body: output lines in file order, joined by \n, none for delete, references and quoting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsvError } from '../../errors/index.ts';
import { formatSecretReference, parseEnvFile, renderEnvOutput } from './index.ts';

const render = (content: string, values: Record<number, string> = {}): string =>
  renderEnvOutput(
    parseEnvFile(content),
    new Map(Object.entries(values).map(([line, value]) => [Number(line), value])),
  );

void describe('renderEnvOutput', () => {
  void it('original forms: KEY=value for new, update and get, nothing for delete, file order, no trailing \\n', () => {
    const content = 'A=new:one\n# c\nB=update:two:2\nC=delete\nD=get\nE=get:1';
    assert.equal(render(content, { 5: 'four', 6: 'five' }), 'A=one\nB=two:2\nD=four\nE=five');
  });

  void it('a delete-only file renders an empty body', () => {
    assert.equal(render('A=delete\nB=delete:x'), '');
  });

  void it('new: with an empty value renders KEY=', () => {
    assert.equal(render('A=new:'), 'A=');
  });

  void it('original get output is raw, byte for byte, as the original wrote it', () => {
    assert.equal(render('A=get', { 1: ' x#y\nZ=1' }), 'A= x#y\nZ=1');
  });

  void it('enc renders NAME=secret(NAME), never the value', () => {
    assert.equal(render('API_KEY=enc(abc)\nB=enc("x\\ny")'), 'API_KEY=secret(API_KEY)\nB=secret(B)');
  });

  void it('enc of a key that needs quoting renders a quoted reference', () => {
    assert.equal(render('"odd=enc(x)'), '"odd=secret("\\"odd")');
  });

  void it('secret() renders X=<value>, bare when every dotenv reader keeps it verbatim', () => {
    assert.equal(
      render('X=secret(N)\nY=secret(N, version=2)', { 1: 'plain-value', 2: 'a"b=c:d' }),
      'X=plain-value\nY=a"b=c:d',
    );
    assert.equal(render('X=secret(N)', { 1: '' }), 'X=');
  });

  void it('secret() quotes values that would break or change in a dotenv file, one line per entry', () => {
    const cases: Array<[string, string]> = [
      ['-----BEGIN KEY-----\nabc\n-----END KEY-----', '"-----BEGIN KEY-----\\nabc\\n-----END KEY-----"'],
      ['a#b', '"a#b"'],
      [' lead', '" lead"'],
      ['trail ', '"trail "'],
      ['"q"', '"\\"q\\""'],
      ["'q'", `"'q'"`],
      ['tab\there', '"tab\\there"'],
      ['ls\u2028ps\u2029nel\u0085', '"ls\\u2028ps\\u2029nel\\u0085"'],
      ['back\\slash\r', '"back\\\\slash\\r"'],
    ];
    for (const [value, rendered] of cases) {
      const body = render('X=secret(N)', { 1: value });
      assert.equal(body, `X=${rendered}`, JSON.stringify(value));
      assert.equal(JSON.parse(rendered), value);
    }
  });

  void it('looks values up by line, so equal keys in different files cannot mix', () => {
    assert.equal(render('\n\nA=get\nB=secret(A)', { 3: 'three', 4: 'four' }), 'A=three\nB=four');
  });

  void it('a get without a resolved value is a bug (DSV_INTERNAL), not a silent empty line', () => {
    assert.throws(
      () => render('A=get'),
      (error: unknown) => error instanceof DsvError && error.code === 'DSV_INTERNAL',
    );
  });
});

void describe('formatSecretReference', () => {
  void it('quotes only when the unquoted form would not parse back', () => {
    assert.equal(formatSecretReference('DB'), 'secret(DB)');
    assert.equal(formatSecretReference('a)b'), 'secret(a)b)');
    assert.equal(formatSecretReference('a, b'), 'secret(a, b)');
    assert.equal(formatSecretReference('"x'), 'secret("\\"x")');
    assert.equal(formatSecretReference('a\nb'), 'secret("a\\nb")');
    assert.equal(formatSecretReference('x,version=9'), 'secret("x,version=9")');
  });
});
