// Drift test for citations (issue #13): every `DESIGN §N[.M]` in code, tests and docs names a heading of
// docs/DESIGN.md, a phrase quoted right after a citation is in the cited section, and every `API-V1.md` (or
// `DESIGN.md`) reference resolves to the file in docs/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const self = relative(root, fileURLToPath(import.meta.url));
const DESIGN = 'docs/DESIGN.md';
const API_V1 = 'docs/API-V1.md';
const SCANNED_DIRS = ['src', 'test', 'bench', 'scripts', 'client', 'ui/src', 'docs'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'fixtures']);

interface Source {
  readonly path: string;
  readonly text: string;
}

function sources(): Source[] {
  const paths = ['README.md'];
  for (const dir of SCANNED_DIRS) {
    if (!existsSync(join(root, dir))) continue;
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      const path = join(dir, file);
      if (!/\.(?:ts|tsx|mjs|js|md)$/.test(path)) continue;
      if (path.split(/[\\/]/).some((segment) => SKIPPED_DIRS.has(segment))) continue;
      if (path === self) continue; // its own examples and patterns are not citations
      paths.push(path);
    }
  }
  return paths.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Whitespace, emphasis and code marks do not count when a quoted phrase is compared with the document. */
const plain = (text: string): string => text.replace(/[`*]/g, '').replace(/\s+/g, ' ');

/** docs/DESIGN.md's sections: `## N. Title` → 'N' and `### N.M Title` → 'N.M', each with its text. */
function designSections(): Map<string, string> {
  const sections = new Map<string, string>();
  let open: string[] = [];
  for (const line of readFileSync(join(root, DESIGN), 'utf8').split('\n')) {
    const section = /^## (\d+)\. /.exec(line)?.[1];
    const subsection = /^### (\d+\.\d+) /.exec(line)?.[1];
    if (section !== undefined) open = [section];
    if (subsection !== undefined) {
      assert.ok(subsection.startsWith(`${open[0] ?? ''}.`), `### ${subsection} is not under ## ${open[0]}`);
      open = [open[0] ?? '', subsection];
    }
    for (const id of open) sections.set(id, `${sections.get(id) ?? ''}${line}\n`);
  }
  return sections;
}

const ITEM = String.raw`\d+(?:\.\d+)?(?:\s+steps?\s+\d+(?:\s*[–-]\s*\d+)?)?`;
const SEPARATOR = String.raw`(?:\s*,\s*§|\s+and\s+§|\s*[–-]\s*§?)`;
const CITATION = new RegExp(String.raw`\bDESIGN(?:\.md)?,? §(${ITEM}(?:${SEPARATOR}${ITEM})*)`, 'g');
const CITED_ITEM =
  /(^|\s*,\s*§|\s+and\s+§|\s*[–-]\s*§?)(\d+(?:\.\d+)?)(?:\s+steps?\s+(\d+)(?:\s*[–-]\s*(\d+))?)?/g;

/** The section ids one citation names: `§5–§7, §11` → 5 6 7 11; `§7.2–7.4` → 7.2 7.3 7.4; `§6 step 4` → 6.4. */
function citedSections(list: string): string[] {
  const ids: string[] = [];
  for (const [, separator = '', id = '', stepFrom, stepTo] of list.matchAll(CITED_ITEM)) {
    const previous = ids.at(-1);
    const range = /[–-]/.test(separator) && previous !== undefined;
    const [from, to] = [previous?.split('.') ?? [], id.split('.')];
    const parent = to.slice(0, -1).join('.');
    if (range && from.length === to.length && from.slice(0, -1).join('.') === parent) {
      for (let n = Number(from.at(-1)) + 1; n < Number(to.at(-1)); n++)
        ids.push(parent ? `${parent}.${n}` : `${n}`);
    }
    ids.push(id);
    if (stepFrom !== undefined) {
      for (let step = Number(stepFrom); step <= Number(stepTo ?? stepFrom); step++) ids.push(`${id}.${step}`);
    }
  }
  return ids;
}

describe('citations of docs/DESIGN.md and docs/API-V1.md', () => {
  const files = sources();
  const sections = designSections();

  it('the citation grammar: ranges, lists and steps', () => {
    assert.deepEqual(citedSections('5–§7, §11'), ['5', '6', '7', '11']);
    assert.deepEqual(citedSections('7.2–7.4'), ['7.2', '7.3', '7.4']);
    assert.deepEqual(citedSections('1, §6 step 4, §7 step 2'), ['1', '6', '6.4', '7', '7.2']);
    assert.deepEqual(citedSections('7 steps 2–3'), ['7', '7.2', '7.3']);
    assert.deepEqual(citedSections('8–9'), ['8', '9']);
  });

  it('every DESIGN §N[.M] cited names a heading of docs/DESIGN.md', () => {
    const missing: string[] = [];
    let cited = 0;
    for (const { path, text } of files) {
      for (const match of text.matchAll(CITATION)) {
        for (const id of citedSections(match[1] ?? '')) {
          cited += 1;
          if (!sections.has(id)) missing.push(`${path}:${lineOf(text, match.index)}: DESIGN §${id}`);
        }
      }
    }
    assert.ok(cited > 100, `only ${cited} citations found: is the scan broken?`);
    assert.deepEqual(missing, [], 'cited sections with no `## N.` / `### N.M` heading in docs/DESIGN.md');
  });

  it('a phrase quoted right after a citation is in the cited section', () => {
    const absent: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(CITATION)) {
        const quote = /^:?\s*"([^"\n]+)"/.exec(text.slice(match.index + match[0].length))?.[1];
        const id = citedSections(match[1] ?? '').at(-1) ?? '';
        if (quote === undefined) continue;
        if (!plain(sections.get(id) ?? '').includes(plain(quote)))
          absent.push(`${path}:${lineOf(text, match.index)}: DESIGN §${id} "${quote}"`);
      }
    }
    assert.deepEqual(absent, [], 'quoted phrases not found in the cited section');
  });

  it('every API-V1.md and DESIGN.md reference resolves to the file in docs/', () => {
    assert.ok(existsSync(join(root, API_V1)) && existsSync(join(root, DESIGN)));
    const apiHeadings = readFileSync(join(root, API_V1), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map(plain);
    const unresolved: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(/((?:[\w.-]+\/)*)\b(API-V1(?:\.md)?|DESIGN\.md)\b/g)) {
        const [, prefix = '', name = ''] = match;
        const target = name.startsWith('API-V1') ? API_V1 : DESIGN;
        const where = `${path}:${lineOf(text, match.index)}`;
        if (prefix !== '') {
          const cited = `${prefix}${name.endsWith('.md') ? name : `${name}.md`}`;
          const fromFile = normalize(relative(root, join(root, dirname(path), cited)));
          const fromRoot = normalize(cited);
          if (fromFile !== target && fromRoot !== target)
            unresolved.push(`${where}: ${cited} is not ${target}`);
        }
        // `API-V1.md "`.env` endpoint"`: the quoted part names a heading of the contract.
        const section = /^,?\s*"([^"\n]+)"/.exec(text.slice(match.index + match[0].length))?.[1];
        if (
          target === API_V1 &&
          section !== undefined &&
          !apiHeadings.some((h) => h.includes(plain(section)))
        )
          unresolved.push(`${where}: no heading "${section}" in ${API_V1}`);
      }
    }
    assert.deepEqual(unresolved, []);
  });
});
