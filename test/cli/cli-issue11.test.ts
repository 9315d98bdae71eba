// Issue 11, "The CLI and its errors": `dsv dev --root-token`, `secret export`, `env import`, `token list`,
// shredded tenants in `tenant list`, a warning for a token's unknown policy; errors that say what to do
// (cause of "Cannot reach", a port in use in one line, exit codes 2/127, JSON errors with --json, a
// missing --env-file); `status`, `keys` and `tenant shred` on the logged-in URL, with --token.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from '../testing/cli-harness.ts';
import { projectRoot, runDsv, type DsvProcess } from '../testing/dsv-process.ts';
import { freePortRange } from '../testing/free-ports.ts';

const ROOT = `dsv.${'r'.repeat(20)}_-${'T'.repeat(21)}`; // dsv. + 43 base64url characters
const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('dsv CLI: issue 11 features and errors', () => {
  let dev: DsvProcess;
  let url: string;
  let port: number;
  let dataDir: string;
  let home: string;
  let config: string;
  const cli = (
    args: string[],
    env: Record<string, string | undefined> = {},
    input?: string,
  ): Promise<CliResult> =>
    runCli(args, { env: { DSV_CONFIG: config, ...env }, ...(input === undefined ? {} : { input }) });

  before(async () => {
    port = await freePortRange(3);
    dataDir = mkdtempSync(join(tmpdir(), 'dsv-i11-data-'));
    home = mkdtempSync(join(tmpdir(), 'dsv-i11-home-'));
    config = join(home, 'config.json');
    dev = runDsv(['dev', '--port', String(port), '--data-dir', dataDir, '--root-token', ROOT]);
    await dev.waitFor(/ready/, 90_000);
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    dev?.child.kill('SIGINT');
    await dev?.exited;
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('dsv dev --root-token: the fixed token is printed and is root; a malformed one is refused (exit 2)', async () => {
    assert.match(dev.output(), new RegExp(`Root token: ${ROOT}`));
    const login = await cli(['login', '--url', url, '--token', ROOT, '--json']);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(parse(login.stdout).root, true);
    const bad = await runCli(['dev', '--root-token', 'dsv.short', '--data-dir', join(home, 'never')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"dsv\." followed by 43 base64url characters/);
  });

  it('a port in use stops dsv dev with one line and exit 2, no JSON logs', async () => {
    const other = mkdtempSync(join(tmpdir(), 'dsv-i11-busy-'));
    try {
      const busy = await runCli(['dev', '--port', String(port), '--data-dir', other]);
      assert.equal(busy.code, 2);
      assert.match(busy.stderr, /^dsv dev: port \d+ is already in use.*--port with another base port\n$/);
      assert.doesNotMatch(busy.stderr + busy.stdout, /"level"|stack/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('status, keys status and tenant shred use the logged-in URL; keys and status take --token', async () => {
    await cli(['login', '--url', url, '--token', ROOT]);
    const status = await cli(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(parse(status.stdout).url, url);
    const keys = await cli(['keys', 'status', '--json']);
    assert.equal(keys.code, 0, keys.stderr);
    // No login at all: --token alone authorises, and the URL comes from --url.
    const none = { DSV_CONFIG: join(home, 'absent.json') };
    const withToken = await cli(['keys', 'status', '--url', url, '--token', ROOT, '--json'], none);
    assert.equal(withToken.code, 0, withToken.stderr);
    const noToken = await cli(['keys', 'status', '--url', url], none);
    assert.equal(noToken.code, 1);
    const statusToken = await cli(['status', '--url', url, '--token', ROOT, '--json'], none);
    assert.equal(statusToken.code, 0, statusToken.stderr);
  });

  it('tenant list marks a shredded tenant (shred on the logged-in URL)', async () => {
    await cli(['login', '--url', url, '--token', ROOT]);
    assert.equal((await cli(['tenant', 'create', 'gone'])).code, 0);
    const shred = await cli(['tenant', 'shred', 'gone', '--yes']);
    assert.equal(shred.code, 0, shred.stderr);
    const list = await cli(['tenant', 'list']);
    assert.match(list.stdout, /^gone\s+\(shredded\)$/m);
    assert.match(list.stdout, /^default$/m);
    assert.deepEqual(parse((await cli(['tenant', 'list', '--json'])).stdout).shredded, ['gone']);
  });

  it('token list: root sees every token, a tenant admin its own tenant; never a token or a hash', async () => {
    await cli(['login', '--url', url, '--token', ROOT]);
    await cli(['tenant', 'create', 'acme']);
    assert.equal((await cli(['policy', 'put', 'adm', '--tenant', 'acme', '--rule', '*/*:admin'])).code, 0);
    const made = await cli([
      'token',
      'create',
      '--tenant',
      'acme',
      '--policy',
      'adm',
      '--display-name',
      'ci',
      '--json',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const admin = parse(made.stdout);
    const other = parse((await cli(['token', 'create', '--tenant', 'default', '--json'])).stdout);
    const all = await cli(['token', 'list', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const rows = parse(all.stdout).tokens as Array<Record<string, unknown>>;
    const mine = rows.find((row) => row.accessor === admin.accessor);
    assert.deepEqual(
      {
        tenant: mine?.tenant,
        policies: mine?.policies,
        displayName: mine?.displayName,
        revoked: mine?.revoked,
      },
      { tenant: 'acme', policies: ['adm'], displayName: 'ci', revoked: false },
    );
    assert.ok(rows.some((row) => row.accessor === other.accessor));
    assert.ok(rows.some((row) => row.root === true));
    assert.ok(!all.stdout.includes(String(admin.token)) && !all.stdout.includes(ROOT));
    assert.doesNotMatch(all.stdout, /hash|[0-9a-f]{64}/i);
    const scoped = await cli(['token', 'list', '--json'], { DSV_TOKEN: String(admin.token) });
    assert.equal(scoped.code, 0, scoped.stderr);
    const seen = (parse(scoped.stdout).tokens as Array<{ tenant: string }>).map((row) => row.tenant);
    assert.ok(seen.length > 0 && seen.every((tenant) => tenant === 'acme'), seen.join());
    assert.match((await cli(['token', 'list'])).stdout, /^ACCESSOR\s+TENANT\s+POLICIES/);
  });

  it('token create warns on stderr about a policy the tenant does not have, and still succeeds', async () => {
    await cli(['login', '--url', url, '--token', ROOT]);
    const made = await cli(['token', 'create', '--policy', 'nosuch', '--json']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, /warning: tenant default has no policy nosuch/);
  });

  it('env import stores a plain .env (all or nothing without --update); secret export writes it back', async () => {
    await cli(['login', '--url', url, '--token', ROOT]);
    const env = join(home, 'plain.env');
    writeFileSync(env, '# app\nDB_USER=app\nexport DB_PASS="p#ss word"\nMULTI="a\\nb"\n');
    const first = await cli(['env', 'import', env, '-n', 'exp', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(parse(first.stdout), { namespace: 'exp', created: 3, updated: 0 });
    writeFileSync(env, 'NEW_ONE=x\nDB_USER=changed\n');
    const again = await cli(['env', 'import', env, '-n', 'exp']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /DB_USER.*nothing was stored.*--update/);
    assert.equal((await cli(['secret', 'get', 'exp', 'NEW_ONE'])).code, 1, 'nothing stored');
    const update = await cli(['env', 'import', env, '-n', 'exp', '--update', '--json']);
    assert.deepEqual(parse(update.stdout), { namespace: 'exp', created: 1, updated: 1 });
    const exported = await cli(['secret', 'export', '-n', 'exp']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout, 'DB_PASS="p#ss word"\nDB_USER=changed\nMULTI="a\\nb"\nNEW_ONE=x\n');
    const json = await cli(['secret', 'export', '-n', 'exp', '--format', 'json']);
    assert.deepEqual(parse(json.stdout), {
      DB_PASS: 'p#ss word',
      DB_USER: 'changed',
      MULTI: 'a\nb',
      NEW_ONE: 'x',
    });
    const file = join(home, 'out.env');
    assert.equal((await cli(['secret', 'export', '-n', 'exp', '-o', file])).code, 0);
    assert.equal(readFileSync(file, 'utf8'), exported.stdout);
  });

  it('"Cannot reach" names the cause and what to do: refused, DNS', async () => {
    const closed = `http://127.0.0.1:${await freePortRange(1)}`;
    const refused = await cli(['secret', 'list', 'x', '--url', closed, '--token', ROOT]);
    assert.equal(refused.code, 1);
    assert.ok(
      refused.stderr.startsWith(`error [DSV_NODE_UNAVAILABLE]: Cannot reach ${closed}: connection refused`),
    );
    assert.match(refused.stderr, /Is the cluster running \(npx dsv dev\)\? Otherwise check --url/);
    const dns = await cli(['secret', 'list', 'x', '--url', 'http://no-such-host.invalid', '--token', ROOT]);
    assert.match(dns.stderr, /host not found \(DNS/);
    const keys = await cli(['keys', 'status', '--url', closed]);
    assert.match(keys.stderr, /connection refused/);
  });

  it('--json errors are JSON; usage errors exit 2; a command not found in dsv run exits 127', async () => {
    await cli(['login', '--url', url, '--token', ROOT]);
    const missing = await cli(['secret', 'get', 'nons', 'nothing', '--json']);
    assert.equal(missing.code, 1);
    assert.equal((parse(missing.stderr).error as { code: string }).code, 'DSV_SECRET_NOT_FOUND');
    const usage = await cli(['secret', 'list', '--json', '--bogus']);
    assert.equal(usage.code, 2);
    assert.equal((parse(usage.stderr.split('\n')[0] ?? '').error as { code: string }).code, 'DSV_USAGE');
    writeFileSync(join(home, 'empty.env'), 'PLAIN=1\n');
    const run = await cli([
      'run',
      '--env-file',
      join(home, 'empty.env'),
      '-n',
      'exp',
      '--',
      'no-such-command-dsv',
    ]);
    assert.equal(run.code, 127, run.stderr);
    assert.match(run.stderr, /no-such-command-dsv: command not found/);
  });

  it("dsv run --env-file missing is DSV's error through the installed launcher, not Node's exit 9", async () => {
    const child = spawn(
      join(projectRoot, 'bin', 'dsv.js'),
      ['run', '--env-file', join(home, 'missing.env'), '-n', 'x', '--', 'true'],
      {
        env: { ...process.env, DSV_CONFIG: config },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /error \[DSV_INPUT_INVALID\]: Cannot read .*missing\.env: no such file/);
  });

  it('a restart with the same --root-token and data dir keeps the token working', async () => {
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 130);
    dev = runDsv(['dev', '--port', String(port), '--data-dir', dataDir, '--root-token', ROOT]);
    await dev.waitFor(/ready/, 90_000);
    const self = await cli(['token', 'self', '--url', url, '--token', ROOT, '--json']);
    assert.equal(self.code, 0, self.stderr);
    assert.equal(parse(self.stdout).root, true);
  });
});
