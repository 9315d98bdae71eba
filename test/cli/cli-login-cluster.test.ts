// Issue #11: a login is for the cluster. `dsv login` keeps every node's URL (GET /v2/sys/cluster), any node of
// the cluster gets the stored token, and a command falls back to another node of the login when the first
// cannot be reached.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

describe('dsv login is for the cluster', () => {
  let dev: DevClusterForCli;
  const node = (i: number) => `http://127.0.0.1:${dev.port + i}`;
  before(async () => {
    dev = await startDevForCli();
  });
  after(async () => {
    await dev?.stop();
  });

  it('stores every node URL of the cluster', async () => {
    const login = await dev.cli(['login', '--url', node(0), '--token', dev.rootToken]);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /cluster of 3 nodes: /);
    const stored = JSON.parse(readFileSync(dev.configPath, 'utf8')) as {
      url: string;
      urls: string[];
      topology: { clusterId: string; nodes: Array<{ nodeId: string; url: string }> };
    };
    assert.equal(stored.url, node(0));
    assert.deepEqual(stored.urls, [node(0), node(1), node(2)]);
    // The topology is pinned at login (trust on first use): client-side commands talk only to these nodes.
    assert.ok(stored.topology.clusterId !== '');
    assert.deepEqual(stored.topology.nodes.map((member) => member.url).sort(), [node(0), node(1), node(2)]);
    assert.match(login.stdout, /^pinned topology: cluster /m);
    assert.equal(statSync(dev.configPath).mode & 0o777, 0o600);
    const json = await dev.cli(['login', '--url', node(0), '--token', dev.rootToken, '--json']);
    assert.deepEqual((JSON.parse(json.stdout) as { urls: string[] }).urls, [node(0), node(1), node(2)]);
  });

  it('another node of the cluster accepts the stored token', async () => {
    const put = await dev.cli(['secret', 'put', 'app', 'db', 's3cret', '--url', node(1)]);
    assert.equal(put.code, 0, put.stderr);
    const get = await dev.cli(['secret', 'get', 'app', 'db', '--url', node(2)]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, 's3cret');
  });

  it('a login from before topologies were stored pins it at its first client-side command', async () => {
    const stored = JSON.parse(readFileSync(dev.configPath, 'utf8')) as Record<string, unknown>;
    const { topology, ...older } = stored;
    writeFileSync(dev.configPath, JSON.stringify(older), { mode: 0o600 });
    const get = await dev.cli(['secret', 'get', 'app', 'db', '--client-side']);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, 's3cret');
    assert.match(get.stderr, /^note: pinned the topology of cluster /m);
    assert.deepEqual(
      (JSON.parse(readFileSync(dev.configPath, 'utf8')) as Record<string, unknown>).topology,
      topology,
    );
    const again = await dev.cli(['secret', 'get', 'app', 'db', '--client-side']);
    assert.doesNotMatch(again.stderr, /pinned the topology/);
    // Outside the login's cluster there is no pinned topology: client-side mode refuses, nothing is sent.
    const elsewhere = await dev.cli([
      'secret',
      'get',
      'app',
      'db',
      '--client-side',
      '--url',
      'http://127.0.0.1:9',
      '--token',
      dev.rootToken,
    ]);
    assert.notEqual(elsewhere.code, 0);
    assert.match(elsewhere.stderr, /dsv login/);
  });

  it('a URL outside the cluster still gets no token', async () => {
    const other = await dev.cli(['token', 'self', '--url', 'http://127.0.0.1:9']);
    assert.notEqual(other.code, 0);
    assert.doesNotMatch(other.stderr, /note: .* trying/); // no fallback to the login's nodes either
  });

  it('falls back to another node of the login when the first is down', async () => {
    const stop = await fetch(`${node(1)}/api/dev/nodes/node-0/stop`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.rootToken}` },
    });
    assert.equal(stop.status, 200);
    const get = await dev.cli(['secret', 'get', 'app', 'db']); // the login's URL is node-0's
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, 's3cret');
    assert.match(
      get.stderr,
      new RegExp(`^note: ${node(0)} unreachable \\(connection refused\\); trying ${node(1)}$`, 'm'),
    );
    // The admin API falls back too (dsv keys status uses it).
    const keys = await dev.cli(['keys', 'status', '--json']);
    assert.equal(keys.code, 0, keys.stderr);
  });
});
