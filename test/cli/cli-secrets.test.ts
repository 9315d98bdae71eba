// The dsv CLI as a new user runs it: `dsv dev`, `dsv login` with the printed root token, then the secret
// commands, --json shapes, error codes and exit codes, and no progress noise when stderr is not a terminal.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

/** A --json document (every client command prints exactly one). */
const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('dsv CLI: login and secrets', () => {
  let dev: DevClusterForCli;
  before(async () => {
    dev = await startDevForCli();
  });
  after(async () => dev?.stop());

  it('login reads the token from stdin, verifies it, stores it 0600 in a 0700 dir, and never prints it', async () => {
    const login = await dev.cli(['login', '--url', dev.url], { input: `${dev.rootToken}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /logged in to .* \(root token, accessor \w+\)/);
    assert.ok(!login.stdout.includes(dev.rootToken) && !login.stderr.includes(dev.rootToken));
    assert.equal(statSync(dev.configPath).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(dev.configPath)).mode & 0o777, 0o700);
    // A login is for the cluster (issue 11): every node's URL is kept beside the one logged in to, and its
    // topology is pinned for client-side mode (issue 9).
    const { topology, ...stored } = parse(readFileSync(dev.configPath, 'utf8'));
    assert.deepEqual(stored, {
      url: dev.url,
      token: dev.rootToken,
      urls: [0, 1, 2].map((i) => `http://127.0.0.1:${dev.port + i}`),
    });
    assert.deepEqual(
      (topology as { nodes: Array<{ url: string }> }).nodes.map((node) => node.url),
      [0, 1, 2].map((i) => `http://127.0.0.1:${dev.port + i}`),
    );
    const self = await dev.cli(['token', 'self', '--json']);
    assert.equal(self.code, 0, self.stderr);
    assert.deepEqual(Object.keys(parse(self.stdout)).sort(), ['accessor', 'root', 'tenant']);
    assert.equal(parse(self.stdout).root, true);
  });

  it('a wrong token is refused at login with its code, and nothing is stored', async () => {
    const other = `${dev.configPath}.other`;
    const login = await dev.cli(['login', '--url', dev.url, '--token', 'dsv.not-a-token'], {
      env: { DSV_CONFIG: other },
    });
    assert.equal(login.code, 1);
    assert.match(login.stderr, /^error \[DSV_AUTH_REQUIRED\]: /);
    assert.throws(() => statSync(other));
  });

  it('put (argument, stdin, file), get verbatim, versions, --json shapes', async () => {
    const created = await dev.cli(['secret', 'put', 'app', 'db/password', 's3cret', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(parse(created.stdout), {
      namespace: 'app',
      name: 'db/password',
      version: 1,
      outcome: 'created',
    });
    const updated = await dev.cli(['secret', 'put', 'app', 'db/password'], { input: 'line 1\nline 2\n' });
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(updated.stdout, 'updated app/db/password version 2\n');
    const same = await dev.cli(['secret', 'put', 'app', 'db/password', '--json'], {
      input: 'line 1\nline 2\n',
    });
    assert.equal(parse(same.stdout).outcome, 'unchanged');

    const latest = await dev.cli(['secret', 'get', 'app', 'db/password']);
    assert.equal(latest.stdout, 'line 1\nline 2\n', 'the value exactly, nothing added when not a terminal');
    const first = await dev.cli(['secret', 'get', 'app', 'db/password', '--version', '1']);
    assert.equal(first.stdout, 's3cret');
    const json = parse((await dev.cli(['secret', 'get', 'app', 'db/password', '--json'])).stdout);
    assert.deepEqual(Object.keys(json).sort(), [
      'name',
      'namespace',
      'validFrom',
      'validTo',
      'value',
      'version',
    ]);
    assert.equal(json.version, 2);

    const versions = await dev.cli(['secret', 'versions', 'app', 'db/password', '--json']);
    const body = parse(versions.stdout) as {
      versions: Array<{ version: number; validFrom: string; validTo: string | null }>;
    };
    assert.deepEqual(
      body.versions.map((v) => v.version),
      [1, 2],
    );
    assert.equal(body.versions[1]?.validTo, null);
    const asOf = await dev.cli([
      'secret',
      'get',
      'app',
      'db/password',
      '--as-of',
      body.versions[0]?.validFrom ?? '',
    ]);
    assert.equal(asOf.stdout, 's3cret', 'as of the start of version 1, version 1 was current');
    const table = await dev.cli(['secret', 'versions', 'app', 'db/password']);
    assert.match(table.stdout, /^VERSION\s+VALID FROM\s+VALID TO\n1\s+\S+\s+\S+\n2\s+\S+\s+current\n$/);
  });

  it('conditional writes: --create-only and --if-version fail with their codes and exit 1', async () => {
    const exists = await dev.cli(['secret', 'put', 'app', 'db/password', 'x', '--create-only']);
    assert.equal(exists.code, 1);
    assert.equal(exists.stderr, 'error [DSV_SECRET_EXISTS]: Secret already exists\n');
    const stale = await dev.cli(['secret', 'put', 'app', 'db/password', 'x', '--if-version', '1']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^error \[DSV_PRECONDITION_FAILED\]: /);
    const cas = await dev.cli(['secret', 'put', 'app', 'db/password', 'x', '--if-version', '2']);
    assert.equal(cas.code, 0, cas.stderr);
    assert.equal(cas.stdout, 'updated app/db/password version 3\n');
  });

  it('list follows every page, filters by prefix, and writes nothing on a non-terminal stderr', async () => {
    for (const name of ['k1', 'k2', 'k3', 'k4', 'k5']) {
      assert.equal((await dev.cli(['secret', 'put', 'paged', name, `v-${name}`])).code, 0);
    }
    const all = await dev.cli(['secret', 'list', 'paged', '--page-size', '2']);
    assert.equal(all.code, 0);
    assert.equal(all.stdout, 'k1\nk2\nk3\nk4\nk5\n');
    assert.equal(all.stderr, '', 'no progress output when stderr is not a TTY');
    const json = await dev.cli(['secret', 'list', 'paged', '--page-size', '2', '--prefix', 'k', '--json']);
    assert.deepEqual(parse(json.stdout), { namespace: 'paged', names: ['k1', 'k2', 'k3', 'k4', 'k5'] });
  });

  it('delete, then get is DSV_SECRET_NOT_FOUND with exit 1', async () => {
    const deleted = await dev.cli(['secret', 'delete', 'paged', 'k5', '--json']);
    assert.deepEqual(parse(deleted.stdout), { namespace: 'paged', name: 'k5', deleted: true });
    const missing = await dev.cli(['secret', 'get', 'paged', 'k5']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, 'error [DSV_SECRET_NOT_FOUND]: Secret not found\n');
  });

  it('usage errors exit 2: a missing argument, a bad option value', async () => {
    assert.equal((await dev.cli(['secret', 'get', 'app'])).code, 2);
    const bad = await dev.cli(['secret', 'get', 'app', 'x', '--version', 'abc']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--version <n>' argument 'abc' is invalid/);
  });

  it('--token and DSV_TOKEN override the login; the stored token goes only to the login cluster', async () => {
    const bogus = await dev.cli(['token', 'self'], { env: { DSV_TOKEN: 'dsv.bogus' } });
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /DSV_AUTH_REQUIRED/);
    // node-1 is a node of the login's cluster: the stored token goes there (issue 11).
    const member = await dev.cli(['token', 'self', '--json', '--url', `http://127.0.0.1:${dev.port + 1}`]);
    assert.equal(member.code, 0, member.stderr);
    assert.equal(parse(member.stdout).root, true);
    // The same node under another origin is not in the login: no stored token goes there.
    const elsewhere = await dev.cli(['token', 'self', '--json', '--url', `http://localhost:${dev.port + 1}`]);
    if (elsewhere.code === 0) assert.equal(parse(elsewhere.stdout).root, false);
    else assert.match(elsewhere.stderr, /DSV_AUTH_REQUIRED.*dsv login/);
    const explicit = await dev.cli([
      'token',
      'self',
      '--json',
      '--url',
      `http://localhost:${dev.port + 1}`,
      '--token',
      dev.rootToken,
    ]);
    assert.equal(parse(explicit.stdout).root, true);
  });

  it('an unreachable node is DSV_NODE_UNAVAILABLE, exit 1', async () => {
    const down = await dev.cli(['secret', 'get', 'app', 'x', '--url', 'http://127.0.0.1:1']);
    assert.equal(down.code, 1);
    // Port 1 is one fetch refuses to use ("bad port"): the message says so, and what to check.
    assert.match(
      down.stderr,
      /^error \[DSV_NODE_UNAVAILABLE\]: Cannot reach http:\/\/127\.0\.0\.1:1 \(bad port\): check --url, DSV_URL or the login/,
    );
  });

  it('logout forgets the login', async () => {
    const out = await dev.cli(['logout', '--json']);
    assert.equal(parse(out.stdout).loggedOut, true);
    assert.throws(() => statSync(dev.configPath));
  });
});
