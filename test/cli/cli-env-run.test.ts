// `dsv env encrypt|resolve` and `dsv run` as a new user runs them (DESIGN §9, §10): files in, files out,
// all-or-nothing; `dsv run` hands resolved values to the command's environment and writes nothing to disk.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

const PEM = '-----BEGIN KEY-----\nMIIEabc+/=\n-----END KEY-----';
const ORIGINAL = [
  '# app settings',
  'PORT=3000',
  'GREETING="hello world"',
  'export MODE=production',
  `API_KEY=enc(sk_live_4f9a 1#x)`,
  `PRIVATE_KEY=enc(${JSON.stringify(PEM)})`,
  '',
].join('\n');

/** Every file under `dir` with its size, mode and modification time: any write shows up as a difference. */
function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const stat = statSync(full);
      entries.push(`${full} ${stat.size} ${stat.mode} ${stat.mtimeMs}`);
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return entries;
}

function filesContaining(dir: string, needle: string): string[] {
  return snapshot(dir)
    .map((entry) => entry.split(' ')[0] ?? '')
    .filter((path) => statSync(path).isFile() && readFileSync(path, 'utf8').includes(needle));
}

describe('dsv CLI: env files and run', () => {
  let dev: DevClusterForCli;
  let work: string;
  before(async () => {
    dev = await startDevForCli();
    work = mkdtempSync(join(tmpdir(), 'dsv-cli-work-'));
    const login = await dev.cli(['login', '--url', dev.url], { input: dev.rootToken });
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await dev?.stop();
  });

  it('env encrypt stores every enc() value and rewrites the file in place, mode 0600, plain lines untouched', async () => {
    const file = join(work, '.env');
    writeFileSync(file, ORIGINAL, { mode: 0o644 });
    const out = await dev.cli(['env', 'encrypt', file, '--namespace', 'web', '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { output: file, namespace: 'web', stored: 2 });
    assert.equal(out.stderr, '', 'no progress output when stderr is not a TTY');
    assert.equal(
      readFileSync(file, 'utf8'),
      ORIGINAL.replace(/^API_KEY=.*$/m, 'API_KEY=secret(API_KEY)').replace(
        /^PRIVATE_KEY=.*$/m,
        'PRIVATE_KEY=secret(PRIVATE_KEY)',
      ),
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(work), ['.env'], 'no temp file left beside it');
    const stored = await dev.cli(['secret', 'get', 'web', 'PRIVATE_KEY']);
    assert.equal(stored.stdout, PEM);
  });

  it('env encrypt is all-or-nothing: a second run of the original fails with 409 and leaves the output absent', async () => {
    const source = join(work, 'again.env');
    writeFileSync(source, ORIGINAL);
    const out = await dev.cli(['env', 'encrypt', source, '-n', 'web', '-o', join(work, 'never.env')]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^error \[DSV_SECRET_EXISTS\]: /);
    assert.throws(() => statSync(join(work, 'never.env')));
    assert.equal(readFileSync(source, 'utf8'), ORIGINAL);
    rmSync(source);
  });

  it('env resolve round-trips: the values come back, quoted for dotenv where needed, other lines kept', async () => {
    const out = await dev.cli(['env', 'resolve', join(work, '.env'), '-n', 'web']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      out.stdout,
      ORIGINAL.replace(/^API_KEY=.*$/m, 'API_KEY="sk_live_4f9a 1#x"').replace(
        /^PRIVATE_KEY=.*$/m,
        `PRIVATE_KEY=${JSON.stringify(PEM)}`,
      ),
    );
    const target = join(work, 'resolved.env');
    const written = await dev.cli([
      'env',
      'resolve',
      join(work, '.env'),
      '-n',
      'web',
      '-o',
      target,
      '--json',
    ]);
    assert.deepEqual(JSON.parse(written.stdout), { output: target, namespace: 'web', resolved: 2 });
    assert.equal(readFileSync(target, 'utf8'), out.stdout);
    assert.equal(statSync(target).mode & 0o777, 0o600);
    rmSync(target);
  });

  it('env resolve names the line of a missing secret and of a leftover enc()', async () => {
    const file = join(work, 'bad.env');
    writeFileSync(file, 'A=1\n\nB=secret(API_KEY)\nC=secret(nope)\n');
    const missing = await dev.cli(['env', 'resolve', file, '-n', 'web']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '', 'nothing resolved is printed when one reference fails');
    assert.match(missing.stderr, /^error \[DSV_SECRET_NOT_FOUND\]: Secret not found: nope\n$/);
    writeFileSync(file, 'A=1\nB=enc(x)\n');
    const leftover = await dev.cli(['env', 'resolve', file, '-n', 'web']);
    assert.equal(leftover.code, 1);
    assert.match(leftover.stderr, /^error \[DSV_ENV_INVALID\]: Line 2 holds enc/);
    rmSync(file);
  });

  it('dsv run: the command sees the resolved values in its environment, its exit code is ours, nothing is written to disk', async () => {
    const config = join(dev.home, 'config');
    const privateTmp = mkdtempSync(join(tmpdir(), 'dsv-cli-tmp-'));
    const before = [...snapshot(work), ...snapshot(config)];
    const script =
      'const pick = ["PORT","GREETING","MODE","API_KEY","PRIVATE_KEY","DSV_TOKEN"];' +
      'console.log(JSON.stringify(Object.fromEntries(pick.map((k) => [k, process.env[k] ?? null]))));' +
      'process.exit(7)';
    const run = await dev.cli(['run', '--namespace', 'web', '--', process.execPath, '-e', script], {
      cwd: work,
      env: { TMPDIR: privateTmp, DSV_TOKEN: dev.rootToken },
    });
    assert.equal(run.code, 7, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      PORT: '3000',
      GREETING: 'hello world',
      MODE: 'production',
      API_KEY: 'sk_live_4f9a 1#x',
      PRIVATE_KEY: PEM,
      DSV_TOKEN: null, // the vault credential is not handed on
    });
    assert.equal(run.stderr, '');
    assert.deepEqual([...snapshot(work), ...snapshot(config)], before, 'no file created or changed');
    assert.deepEqual(readdirSync(privateTmp), [], 'no temp file');
    for (const dir of [work, config]) assert.deepEqual(filesContaining(dir, 'sk_live_4f9a'), []);
    rmSync(privateTmp, { recursive: true });
  });

  it('dsv run: --env-file, options after the command belong to it, --no-override keeps the environment', async () => {
    const dir = join(work, 'sub');
    mkdirSync(dir);
    writeFileSync(join(dir, 'prod.env'), 'KEY=secret(API_KEY)\nPORT=1\n');
    const print =
      'console.log(process.env.KEY + "|" + process.env.PORT + "|" + process.argv.slice(1).join(","))';
    const run = await dev.cli(
      [
        'run',
        '-n',
        'web',
        '--env-file',
        join(dir, 'prod.env'),
        '--',
        process.execPath,
        '-e',
        print,
        '--',
        '--version',
      ],
      { env: { PORT: '9' } },
    );
    assert.equal(run.stdout, 'sk_live_4f9a 1#x|1|--version\n');
    const kept = await dev.cli(
      [
        'run',
        '-n',
        'web',
        '--env-file',
        join(dir, 'prod.env'),
        '--no-override',
        '--',
        process.execPath,
        '-e',
        print,
      ],
      { env: { PORT: '9' } },
    );
    assert.equal(kept.stdout, 'sk_live_4f9a 1#x|9|\n');
  });

  it('dsv run: a failing reference starts nothing and exits 1 with the code', async () => {
    const file = join(work, 'missing.env');
    writeFileSync(file, 'X=secret(absent)\n');
    const marker = join(work, 'started');
    const run = await dev.cli([
      'run',
      '-n',
      'web',
      '--env-file',
      file,
      '--',
      process.execPath,
      '-e',
      `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`,
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error \[DSV_SECRET_NOT_FOUND\]: /);
    assert.throws(() => statSync(marker), 'the command never ran');
    rmSync(file);
  });

  it('dsv run: a command killed by a signal is reported as that signal', async () => {
    const run = await dev.cli([
      'run',
      '-n',
      'web',
      '--env-file',
      join(work, '.env'),
      '--',
      process.execPath,
      '-e',
      'process.kill(process.pid, "SIGTERM")',
    ]);
    assert.equal(run.code, 'SIGTERM');
  });
});
