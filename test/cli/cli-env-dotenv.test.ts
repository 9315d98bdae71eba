// One dotenv grammar for `dsv env encrypt|resolve` and `dsv run` and the server (issue 11): quoted
// `KEY="enc(…)"` / `KEY='enc(…)'` are stored (never left in the file as plaintext), `export KEY=enc(…)`
// stores KEY (not "export KEY") and keeps `export` in the output, comments after an unquoted value are
// comments, and a line that only looks like enc(…)/secret(…) is an error naming the line, file untouched.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classifyLine, splitEnvFile } from '../../src/cli/client/env-lines.ts';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

const ORIGINAL = [
  '# settings',
  'export DB_URL=enc(postgres://u:p@h/db)   # the database',
  'QUOTED="enc(dq \\"secret\\" value)"',
  "SINGLE='enc(sq secret)' # single quotes",
  'PLAIN=hello # just text',
  '',
].join('\n');

describe('CLI .env grammar (shared with the server)', () => {
  it('classifies every dotenv form of enc(…) and secret(…), and refuses look-alikes with their line', () => {
    const kinds = (text: string) => splitEnvFile(text).lines.map((line) => line.kind);
    assert.deepEqual(kinds(ORIGINAL), ['plain', 'enc', 'enc', 'enc', 'plain', 'plain']);
    assert.equal(classifyLine('export X=secret(N)'), 'secret');
    assert.equal(classifyLine(`X='secret(N, version=2)'`), 'secret');
    assert.equal(classifyLine('X="secret(N)" # c'), 'secret');
    assert.equal(classifyLine('X="just text" # enc(x)'), 'plain');
    for (const [text, line] of [
      ['A=1\nKEY=ENC(x)', 2],
      ['KEY=enc (x)', 1],
      ['A=1\n\nKEY="Secret(x)"', 3],
      ['KEY="enc(x)', 1],
      ["KEY='enc(x)' more", 1],
    ] as const) {
      assert.throws(
        () => splitEnvFile(text),
        (error: unknown) =>
          error instanceof Error &&
          (error as { code?: string }).code === 'DSV_ENV_INVALID' &&
          new RegExp(`[Ll]ine ${line}\\b`).test(error.message),
        text,
      );
    }
  });
});

describe('dsv env and dsv run with quoted, exported and commented lines', () => {
  let dev: DevClusterForCli;
  let work: string;
  before(async () => {
    dev = await startDevForCli();
    work = mkdtempSync(join(tmpdir(), 'dsv-cli-dotenv-'));
    const login = await dev.cli(['login', '--url', dev.url, '--token', dev.rootToken]);
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await dev?.stop();
  });

  it('encrypt stores quoted and exported values under their names and leaves no plaintext; resolve and run read them', async () => {
    const file = join(work, '.env');
    writeFileSync(file, ORIGINAL);
    const out = await dev.cli(['env', 'encrypt', file, '-n', 'app', '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal((JSON.parse(out.stdout) as { stored: number }).stored, 3);
    const encrypted = readFileSync(file, 'utf8');
    assert.equal(
      encrypted,
      [
        '# settings',
        'export DB_URL=secret(DB_URL)',
        'QUOTED=secret(QUOTED)',
        'SINGLE=secret(SINGLE)',
        'PLAIN=hello # just text',
        '',
      ].join('\n'),
    );
    for (const plaintext of ['postgres://', 'dq ', 'sq secret']) assert.ok(!encrypted.includes(plaintext));

    const get = async (name: string) => (await dev.cli(['secret', 'get', 'app', name])).stdout;
    assert.equal(await get('DB_URL'), 'postgres://u:p@h/db');
    assert.equal(await get('QUOTED'), 'dq "secret" value');
    assert.equal(await get('SINGLE'), 'sq secret');
    const exported = await dev.cli(['secret', 'get', 'app', 'export DB_URL']);
    assert.match(exported.stderr, /DSV_SECRET_NOT_FOUND/, 'no secret named "export DB_URL"');

    const resolved = await dev.cli(['env', 'resolve', file, '-n', 'app']);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.match(resolved.stdout, /^export DB_URL=postgres:\/\/u:p@h\/db$/m);
    assert.match(resolved.stdout, /^QUOTED=dq "secret" value$/m);

    const run = await dev.cli([
      'run',
      '--env-file',
      file,
      '-n',
      'app',
      '--',
      process.execPath,
      '-e',
      'const e = process.env; console.log(JSON.stringify([e.DB_URL, e.QUOTED, e.SINGLE, e.PLAIN]))',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [
      'postgres://u:p@h/db',
      'dq "secret" value',
      'sq secret',
      'hello',
    ]);
  });

  it('a line that only looks like enc(…) is an error naming it; nothing is stored and the file is untouched', async () => {
    const file = join(work, 'bad.env');
    const content = 'FIRST=enc(would be stored)\nSECOND=Enc(looks like one)\n';
    writeFileSync(file, content);
    const out = await dev.cli(['env', 'encrypt', file, '-n', 'app']);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^error \[DSV_ENV_INVALID\]: Line 2 looks like enc/);
    assert.equal(readFileSync(file, 'utf8'), content);
    assert.match((await dev.cli(['secret', 'get', 'app', 'FIRST'])).stderr, /DSV_SECRET_NOT_FOUND/);
  });
});
