// Drift tests: docs/error-codes.md and docs/invariants.md must match the code (STYLE: fastify's drift test).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from './codes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tableRows = (file: string) =>
  readFileSync(join(root, file), 'utf8')
    .split('\n')
    .filter((line) => /^\| (DSV_|I-)/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );

describe('docs/error-codes.md', () => {
  const rows = tableRows('docs/error-codes.md');

  it('lists every registered code exactly once, with its category, status and whether it is retriable', () => {
    const documented = new Map(
      rows.map(([code, category, status, retriable]) => [code, { category, status, retriable }]),
    );
    assert.equal(documented.size, rows.length, 'a code is documented twice');
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.deepEqual(
        documented.get(code),
        { category: spec.category, status: String(spec.status), retriable: spec.retriable ? 'yes' : 'no' },
        code,
      );
    }
    assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_CODES).sort());
  });

  it('5xx other than 503 and 507 (insufficient storage, I-C5) is only the bug category', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      if (spec.status >= 500 && spec.status !== 503 && spec.status !== 507)
        assert.equal(spec.category, 'bug', code);
    }
  });
});

describe('docs/invariants.md', () => {
  const rows = tableRows('docs/invariants.md');
  const paths = (cell: string) => [...cell.matchAll(/`([^`]+\.(?:ts|md))`/g)].map((match) => match[1] ?? '');

  it('names only files that exist', () => {
    for (const [id, , enforced = '', tests = ''] of rows) {
      for (const path of [...paths(enforced), ...paths(tests)])
        assert.ok(existsSync(join(root, path)), `${id}: ${path}`);
    }
  });

  it('every invariant a test cites is listed (the other direction)', () => {
    const listed = new Set(rows.map(([id = '']) => id));
    const cited = new Set<string>();
    for (const dir of ['src', 'test', 'bench']) {
      for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.test.ts')) continue;
        const text = readFileSync(join(root, dir, file), 'utf8');
        for (const match of text.matchAll(/['"`](I-[A-Z]{1,2}\d+[a-z]?):/g)) cited.add(match[1] ?? '');
      }
    }
    for (const id of cited)
      assert.ok(listed.has(id), `${id} is cited by a test but not in docs/invariants.md`);
  });

  it('each named test file has a test citing the invariant id', () => {
    for (const [id = '', , , tests = ''] of rows) {
      for (const path of paths(tests)) {
        const text = readFileSync(join(root, path), 'utf8');
        assert.ok(
          text.includes(`'${id}:`) || text.includes(`"${id}:`) || text.includes(`\`${id}:`),
          `${path} cites no ${id} test`,
        );
      }
    }
  });
});
