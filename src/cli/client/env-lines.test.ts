// The client side of .env transforms: line splitting as the server counts lines, classification, the blanked
// request body, and reassembly that keeps every untouched byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDotenvValue } from '../../kernel/env/env-quoting.ts';
import { parseEnvFile } from '../../kernel/env/index.ts';
import { classifyLine, pairOutput, renderEnvFile, splitEnvFile, transformRequest } from './env-lines.ts';
import { environmentOf, parseResolvedLine } from './env-transform.ts';

describe('env lines', () => {
  it('classifies enc( and secret( values; everything else stays on the client', () => {
    assert.equal(classifyLine('A=enc(x)'), 'enc');
    assert.equal(classifyLine('  A =  secret(x, version=2)  '), 'secret');
    assert.equal(classifyLine('A=get'), 'plain', 'the v1 actions are plain values for dsv');
    assert.equal(classifyLine('# A=secret(x)'), 'plain');
    // Looks like a reference but is none: refused with its line rather than kept as a plain value.
    assert.throws(() => classifyLine('A=Secret(x)', 3), /Line 3 looks like enc\(…\) or secret\(…\)/);
    assert.equal(classifyLine('no equals'), 'plain');
  });

  it('a file with no transformed line renders back byte for byte (any line breaks, a BOM)', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', '=', ' ', '\n', '\r', '\r\n', '\u2028', '\v', '#', 'é'),
    });
    fc.assert(
      fc.property(fc.boolean(), text, (bom, body) => {
        const content = (bom ? '\uFEFF' : '') + body;
        assert.equal(renderEnvFile(splitEnvFile(content), new Map()), content);
      }),
    );
  });

  it('the request blanks other lines, so the server reports the file’s own line numbers', () => {
    const file = splitEnvFile('# c\r\nA=1\u2028B=secret(x)\nC=enc(y)\n');
    const body = transformRequest(file, ['secret']);
    assert.equal(body, '\n\nB=secret(x)\n\n');
    assert.deepEqual(
      parseEnvFile(body).map((op) => op.line),
      [3],
    );
  });

  it('pairs output lines with their source lines and replaces only those', () => {
    const file = splitEnvFile('A=1\r\nB=secret(x)\r\nC=secret(y)\r\n');
    const paired = pairOutput(file, ['secret'], 'B=one\nC="t w o "');
    assert.equal(renderEnvFile(file, paired), 'A=1\r\nB=one\r\nC="t w o "\r\n');
    assert.throws(() => pairOutput(file, ['secret'], 'B=one'), { code: 'DSV_INTERNAL' });
  });

  it('a resolved line reads back exactly what the server quoted (any value)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        assert.deepEqual(parseResolvedLine(`X=${formatDotenvValue(value)}`), ['X', value]);
      }),
    );
  });

  it('the run environment: plain lines by dotenv rules, resolved lines by the server’s quoting, no duplicates', () => {
    const file = splitEnvFile('export A="x y"\nB=plain # comment\nC=secret(c)\n');
    const env = environmentOf(file, new Map([[3, 'C="a\\nb"']]));
    assert.deepEqual(Object.fromEntries(env), { A: 'x y', B: 'plain', C: 'a\nb' });
    const twice = splitEnvFile('C=1\nC=secret(c)\n');
    assert.throws(() => environmentOf(twice, new Map([[2, 'C=2']])), { code: 'DSV_ENV_INVALID' });
  });
});
