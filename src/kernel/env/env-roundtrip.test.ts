// Property tests: what DSV writes as .env text (lines, references, rendered values) reads back unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { quoteEnvString } from './env-quoting.ts';
import { formatSecretReference, parseEnvFile, renderEnvOutput, type EnvOperation } from './index.ts';

const LINE_BREAKS = ['\n', '\r\n', '\r'] as const;
const anyText = fc.string({ unit: 'binary', maxLength: 40 }).filter((text) => text.isWellFormed());
const oneLine = anyText.map((text) => text.replace(/[\n\v\f\r\u0085\u2028\u2029]/g, ' '));
/** A value of the original grammar: one line, not ending in a code unit the line trim would drop. */
const actionValue = oneLine.filter((text) => text === '' || text.charCodeAt(text.length - 1) > 0x20);
/** A key: non-blank, no '=', not starting with '#', no trim characters at either end. */
const key = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .map((text) => text.replace(/[=\n\v\f\r\u0085\u2028\u2029]/g, '_').trim())
  .filter((text) => text !== '' && !text.startsWith('#') && text.charCodeAt(0) > 0x20)
  .filter((text) => text.charCodeAt(text.length - 1) > 0x20 && !/^\s|\s$/.test(text));
const name = anyText.filter((text) => text !== '');
const version = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

type Draft = (key: string) => { op: Omit<EnvOperation, 'line'>; text: string };
const draft: fc.Arbitrary<Draft> = fc.oneof(
  actionValue.map((v): Draft => (k) => ({
    op: { kind: 'create', key: k, value: v, output: 'value' },
    text: `${k}=new:${v}`,
  })),
  actionValue.map((v): Draft => (k) => ({
    op: { kind: 'update', key: k, value: v },
    text: `${k}=update:${v}`,
  })),
  fc.option(version, { nil: undefined }).map((n): Draft => (k) => ({
    op:
      n === undefined
        ? { kind: 'get', key: k, name: k, output: 'raw' }
        : { kind: 'get', key: k, name: k, version: n, output: 'raw' },
    text: n === undefined ? `${k}=get` : `${k}=get:${n}`,
  })),
  fc.constant<Draft>((k) => ({ op: { kind: 'delete', key: k }, text: `${k}=delete` })),
  anyText.map((v): Draft => (k) => ({
    op: { kind: 'create', key: k, value: v, output: 'reference' },
    text: `${k}=enc(${quoteEnvString(v)})`,
  })),
  fc.tuple(name, fc.option(version, { nil: undefined })).map(([n, pin]): Draft => (k) => ({
    op:
      pin === undefined
        ? { kind: 'get', key: k, name: n, output: 'dotenv' }
        : { kind: 'get', key: k, name: n, version: pin, output: 'dotenv' },
    text: `${k}=${formatSecretReference(n, pin)}`,
  })),
);
const filler = fc.constantFrom('', '   ', '# comment', '  # x=new:y', '\t');

void describe('round trips', () => {
  void it('a file written from operations (any line breaks, comments, blanks) parses back to them', () => {
    const file = fc.uniqueArray(
      fc.tuple(key, draft, fc.array(filler, { maxLength: 2 }), fc.constantFrom(...LINE_BREAKS)),
      {
        minLength: 1,
        maxLength: 12,
        selector: ([k]) => k,
      },
    );
    fc.assert(
      fc.property(file, (entries) => {
        let content = '';
        let line = 0;
        const expected: EnvOperation[] = [];
        const append = (text: string, lineBreak: string): void => {
          // An empty line between CR and LF would make them one CRLF break: write CR CR instead.
          content += text + (content.endsWith('\r') && text === '' && lineBreak === '\n' ? '\r' : lineBreak);
          line += 1;
        };
        for (const [k, make, fillers, lineBreak] of entries) {
          for (const text of fillers) append(text, lineBreak);
          const { op, text } = make(k);
          append(text, lineBreak);
          expected.push({ ...op, line } as EnvOperation);
        }
        assert.deepEqual(parseEnvFile(content), expected);
      }),
    );
  });

  void it('unquoted enc(value) keeps any one-line value not starting with a quote', () => {
    fc.assert(
      fc.property(
        key,
        oneLine.filter((v) => !v.startsWith('"')),
        (k, v) => {
          assert.deepEqual(parseEnvFile(`${k}=enc(${v})`), [
            { kind: 'create', line: 1, key: k, value: v, output: 'reference' },
          ]);
        },
      ),
    );
  });

  void it('formatSecretReference(name, version) parses back to that name and version', () => {
    fc.assert(
      fc.property(key, name, fc.option(version, { nil: undefined }), (k, n, pin) => {
        const [op] = parseEnvFile(`${k}=${formatSecretReference(n, pin)}`);
        assert.deepEqual(
          op,
          pin === undefined
            ? { kind: 'get', line: 1, key: k, name: n, output: 'dotenv' }
            : { kind: 'get', line: 1, key: k, name: n, version: pin, output: 'dotenv' },
        );
      }),
    );
  });

  void it('enc output is a reference that resolves the same secret: parse(render(parse(NAME=enc(v))))', () => {
    fc.assert(
      fc.property(key, anyText, (k, v) => {
        const created = parseEnvFile(`${k}=enc(${quoteEnvString(v)})`);
        const rendered = renderEnvOutput(created, new Map());
        assert.ok(
          !rendered.includes(v) || rendered.includes(`${k}=secret(`),
          'the value never appears as itself',
        );
        assert.deepEqual(parseEnvFile(rendered), [
          { kind: 'get', line: 1, key: k, name: k, output: 'dotenv' },
        ]);
      }),
    );
  });

  void it('rendered secret() values are one line each and decode back to the exact value', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, anyText), { minLength: 1, maxLength: 8, selector: ([k]) => k }),
        (pairs) => {
          const operations = parseEnvFile(pairs.map(([k]) => `${k}=secret(N)`).join('\n'));
          const body = renderEnvOutput(operations, new Map(pairs.map(([, v], i) => [i + 1, v])));
          const lines = body.split(/\r\n|[\n\v\f\r\u0085\u2028\u2029]/);
          assert.equal(lines.length, pairs.length);
          lines.forEach((line, i) => {
            const [k, v] = pairs[i] as [string, string];
            assert.ok(line.startsWith(`${k}=`));
            const rendered = line.slice(k.length + 1);
            assert.equal(rendered.startsWith('"') ? JSON.parse(rendered) : rendered, v);
          });
        },
      ),
    );
  });

  void it('output lines follow file order and skip exactly the deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('new:v', 'update:v', 'get', 'delete', 'enc(v)', 'secret(S)'), {
          minLength: 1,
          maxLength: 20,
        }),
        (forms) => {
          const operations = parseEnvFile(forms.map((form, i) => `K${i}=${form}`).join('\n'));
          const values = new Map(operations.map((op) => [op.line, 'v']));
          const body = renderEnvOutput(operations, values);
          const keys = forms.flatMap((form, i) => (form === 'delete' ? [] : [`K${i}`]));
          assert.deepEqual(
            body === '' ? [] : body.split('\n').map((line) => line.slice(0, line.indexOf('='))),
            keys,
          );
        },
      ),
    );
  });
});
