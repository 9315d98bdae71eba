// `--client-side` in the CLI (issue #9): `dsv login --client-side` makes it the login's default, `dsv status`
// names the mode, `secret put|get`, `env encrypt|resolve` and `dsv run` split and combine values on this machine,
// and what either mode wrote the other reads byte for byte. `--no-client-side` overrides the default.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('dsv CLI: client-side mode', () => {
  let dev: DevClusterForCli;
  let dir = '';
  before(async () => {
    dev = await startDevForCli();
    dir = mkdtempSync(join(tmpdir(), 'dsv-cli-client-side-'));
  });
  after(async () => {
    await dev?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('secret put/get --client-side: text and bytes, --json shapes, read back either way', async () => {
    const login = await dev.cli(['login', '--url', dev.url, '--token', dev.rootToken]);
    assert.equal(login.code, 0, login.stderr);
    const put = await dev.cli(['secret', 'put', 'app', 'db', 's3cret', '--client-side', '--json']);
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(parse(put.stdout), { namespace: 'app', name: 'db', version: 1, outcome: 'created' });
    const same = await dev.cli(['secret', 'put', 'app', 'db', 's3cret', '--client-side']);
    assert.equal(same.stdout, 'unchanged app/db version 1\n');
    const got = await dev.cli(['secret', 'get', 'app', 'db', '--client-side']);
    assert.deepEqual([got.code, got.stdout], [0, 's3cret']);
    assert.equal((await dev.cli(['secret', 'get', 'app', 'db'])).stdout, 's3cret');
    const json = parse((await dev.cli(['secret', 'get', 'app', 'db', '--client-side', '--json'])).stdout);
    assert.deepEqual(
      [json.namespace, json.name, json.value, json.version, json.validTo],
      ['app', 'db', 's3cret', 1, null],
    );

    const bytes = randomBytes(40);
    const file = join(dir, 'value.bin');
    writeFileSync(file, bytes);
    const binary = await dev.cli(['secret', 'put', 'app', 'bin', '--from-file', file, '--client-side']);
    assert.equal(binary.code, 0, binary.stderr);
    const out = join(dir, 'out.bin');
    assert.equal((await dev.cli(['secret', 'get', 'app', 'bin', '--to-file', out])).code, 0);
    assert.deepEqual(readFileSync(out), bytes);
    const back = join(dir, 'back.bin');
    assert.equal(
      (await dev.cli(['secret', 'get', 'app', 'bin', '--client-side', '--to-file', back])).code,
      0,
    );
    assert.deepEqual(readFileSync(back), bytes);

    const exists = await dev.cli(['secret', 'put', 'app', 'db', 'x', '--client-side', '--create-only']);
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /^error \[DSV_SECRET_EXISTS\]/);
    const stale = await dev.cli(['secret', 'put', 'app', 'db', 'x', '--client-side', '--if-version', '7']);
    assert.match(stale.stderr, /^error \[DSV_PRECONDITION_FAILED\]/);
  });

  it('login --client-side makes it the default; status names the mode; --no-client-side overrides', async () => {
    const plain = await dev.cli(['status']);
    assert.match(plain.stdout, /^mode: server-side$/m);
    const login = await dev.cli(['login', '--url', dev.url, '--token', dev.rootToken, '--client-side']);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(parse(readFileSync(dev.configPath, 'utf8')).clientSide, true);
    const status = await dev.cli(['status']);
    assert.match(status.stdout, /^mode: client-side \(values are split and combined on this machine\)$/m);
    assert.equal(parse((await dev.cli(['status', '--json'])).stdout).mode, 'client-side');
    assert.equal((await dev.cli(['secret', 'put', 'app', 'default', 'v'])).code, 0);
    assert.equal((await dev.cli(['secret', 'get', 'app', 'default'])).stdout, 'v');
    assert.equal((await dev.cli(['secret', 'get', 'app', 'default', '--no-client-side'])).stdout, 'v');
  });

  it('env encrypt / resolve and dsv run in client-side mode', async () => {
    const env = join(dir, '.env');
    writeFileSync(env, 'PORT=3000\nAPI_KEY=enc(k3y value)\nDB=secret(db)\n');
    const encrypted = await dev.cli(['env', 'encrypt', env, '-n', 'app', '--client-side']);
    assert.equal(encrypted.code, 0, encrypted.stderr);
    assert.equal(readFileSync(env, 'utf8'), 'PORT=3000\nAPI_KEY=secret(API_KEY)\nDB=secret(db)\n');
    const resolved = await dev.cli(['env', 'resolve', env, '-n', 'app', '--client-side']);
    assert.deepEqual([resolved.code, resolved.stdout], [0, 'PORT=3000\nAPI_KEY=k3y value\nDB=s3cret\n']);
    assert.equal(
      (await dev.cli(['env', 'resolve', env, '-n', 'app', '--no-client-side'])).stdout,
      resolved.stdout,
    );
    const run = await dev.cli([
      'run',
      '--env-file',
      env,
      '-n',
      'app',
      '--client-side',
      '--',
      'sh',
      '-c',
      'printf "%s|%s|%s" "$PORT" "$API_KEY" "$DB"',
    ]);
    assert.deepEqual([run.code, run.stdout], [0, '3000|k3y value|s3cret']);
    writeFileSync(env, 'A=enc(a)\nAPI_KEY=enc(again)\n');
    const failed = await dev.cli(['env', 'encrypt', env, '-n', 'app', '--client-side']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^error \[DSV_SECRET_EXISTS\]: Secret already exists: API_KEY/);
    assert.equal((await dev.cli(['secret', 'get', 'app', 'A'])).code, 1, 'nothing written');
  });
});
