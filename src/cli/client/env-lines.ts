// Splits a .env file into physical lines and picks the ones the server transforms (`enc(…)` or `secret(…)`);
// every other line (comments, blanks, plain KEY=value) stays on the client, byte for byte (DESIGN §10).
import { DsvError } from '../../errors/index.ts';
import { looksLikeDsvValue, readDsvLine } from '../../kernel/env/dotenv-line.ts';

export type EnvLineKind = 'enc' | 'secret' | 'plain';

export interface EnvLine {
  /** 1-based physical line number, counted exactly as the server counts them. */
  readonly number: number;
  readonly text: string;
  /** The line break that ended it ('' for the last line). */
  readonly separator: string;
  readonly kind: EnvLineKind;
}

export interface EnvFile {
  readonly bom: boolean;
  readonly lines: readonly EnvLine[];
}

// The server splits on Java's `\R` (src/kernel/env/README.md): the same set here keeps line numbers aligned.
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/g;
// Java trim(): code units ≤ U+0020 at either end.
// eslint-disable-next-line no-control-regex -- exactly the control characters the server trims
const EDGE = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;

/**
 * The server's dotenv grammar (`src/kernel/env/dotenv-line.ts`, shared): `enc(…)`/`secret(…)` unquoted or
 * in single or double quotes, after an optional `export `, with an optional comment. A value that only
 * looks like one (`ENC(`, `enc (`, an unclosed quote) is refused with its line, never kept as plaintext.
 */
export function classifyLine(text: string, number = 1): EnvLineKind {
  const trimmed = text.replace(EDGE, '');
  if (trimmed === '' || trimmed.startsWith('#')) return 'plain';
  const dsv = readDsvLine(trimmed, number);
  if (dsv !== undefined) return dsv.form;
  if (looksLikeDsvValue(trimmed)) {
    throw new DsvError(
      'DSV_ENV_INVALID',
      `Line ${number} looks like enc(…) or secret(…) but is not one: write NAME=enc(value) or ` +
        'X=secret(NAME) in lowercase, unquoted or in matching quotes',
      { details: { line: number } },
    );
  }
  return 'plain';
}

export function splitEnvFile(content: string): EnvFile {
  const bom = content.startsWith('\uFEFF');
  const body = bom ? content.slice(1) : content;
  const lines: EnvLine[] = [];
  let start = 0;
  for (const match of body.matchAll(LINE_BREAK)) {
    const text = body.slice(start, match.index);
    const number = lines.length + 1;
    lines.push({ number, text, separator: match[0], kind: classifyLine(text, number) });
    start = match.index + match[0].length;
  }
  const last = body.slice(start);
  lines.push({
    number: lines.length + 1,
    text: last,
    separator: '',
    kind: classifyLine(last, lines.length + 1),
  });
  return { bom, lines };
}

/**
 * The request body holding only the lines of `kinds`, every other line blanked, so the server's line numbers
 * (in its error messages) are the file's own.
 */
export function transformRequest(file: EnvFile, kinds: readonly EnvLineKind[]): string {
  return file.lines.map((line) => (kinds.includes(line.kind) ? line.text : '')).join('\n');
}

/** Pairs the server's output (one line per transformed line, in order) with the lines it came from. */
export function pairOutput(
  file: EnvFile,
  kinds: readonly EnvLineKind[],
  output: string,
): Map<number, string> {
  const chosen = file.lines.filter((line) => kinds.includes(line.kind));
  const produced = output === '' ? [] : output.split('\n');
  if (produced.length !== chosen.length) {
    throw new DsvError(
      'DSV_INTERNAL',
      `The server returned ${produced.length} lines for ${chosen.length} entries`,
    );
  }
  return new Map(chosen.map((line, index) => [line.number, produced[index] ?? '']));
}

/** The file with the transformed lines replaced, line breaks and a byte-order mark kept. */
export function renderEnvFile(file: EnvFile, replaced: ReadonlyMap<number, string>): string {
  const body = file.lines.map((line) => (replaced.get(line.number) ?? line.text) + line.separator).join('');
  return file.bom ? `\uFEFF${body}` : body;
}

export const countKind = (file: EnvFile, kind: EnvLineKind): number =>
  file.lines.filter((line) => line.kind === kind).length;

/** `enc(…)` stores a value: resolving or running a file that still holds one is refused, line named. */
export function refuseEncLines(file: EnvFile): void {
  const line = file.lines.find((candidate) => candidate.kind === 'enc');
  if (line !== undefined) {
    throw new DsvError(
      'DSV_ENV_INVALID',
      `Line ${line.number} holds enc(…): store it with dsv env encrypt first`,
      { details: { line: line.number } },
    );
  }
}
