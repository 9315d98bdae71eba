// Issue #11, production default: `dsv server` refuses to serve the public API over plain HTTP on a
// non-loopback address (exit 2, one line saying how) unless --insecure-http or the config's
// `publicInsecureHttp: true`; loopback binds keep plain HTTP, and a public certificate serves HTTPS.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initCluster } from '../../src/node/server/index.ts';
import { isLoopbackHost, plainHttpRefusal } from '../../src/node/server/public-transport.ts';
import { runCli } from '../testing/cli-harness.ts';

describe('plain HTTP off loopback', () => {
  it('loopback binds, a public certificate, the flag or the config allow it; anything else is refused', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost'])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'vault-0.internal', '::ffff:10.0.0.1'])
      assert.equal(isLoopbackHost(host), false, host);
    const open = { publicListen: { host: '0.0.0.0', port: 8080 } };
    assert.match(plainHttpRefusal(open) ?? '', /plain HTTP on 0\.0\.0\.0:8080.*--insecure-http/);
    assert.equal(plainHttpRefusal(open, true), undefined);
    assert.equal(plainHttpRefusal({ ...open, publicInsecureHttp: true }), undefined);
    assert.equal(plainHttpRefusal({ ...open, tls: { publicCertFile: 'node.crt' } }), undefined);
    assert.equal(plainHttpRefusal({ publicListen: { host: '127.0.0.1', port: 8080 } }), undefined);
  });

  describe('dsv server', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsv-insecure-http-'));
    let config = '';
    before(async () => {
      // --hosts makes the nodes bind 0.0.0.0; Kafka at port 1 is unreachable, so a start that passes the
      // check fails right after it, on the log (exit 1) — nothing ever listens.
      await initCluster({
        nodes: 3,
        dir: join(dir, 'cluster'),
        kafka: ['127.0.0.1:1'],
        basePort: 18_480,
        hosts: ['127.0.0.1', '127.0.0.1', '127.0.0.1'],
        kek: 'key-file',
      });
      config = join(dir, 'cluster', 'node-0.json');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses plain HTTP on 0.0.0.0: exit 2 and one line saying how', async () => {
      const result = await runCli(['server', '--config', config]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(
        result.stderr,
        /^dsv server: refusing to serve the public API over plain HTTP on 0\.0\.0\.0:18480 \(not loopback\): .*--public-tls.*--insecure-http/,
      );
    });

    it('--insecure-http or publicInsecureHttp: true lets it start (it then fails on the unreachable log)', async () => {
      const flagged = await runCli(['server', '--config', config, '--insecure-http']);
      assert.equal(flagged.code, 1, flagged.stderr);
      assert.doesNotMatch(flagged.stderr, /refusing/);
      assert.match(flagged.stderr, /DSV_LOG_UNAVAILABLE/);
      const file = join(dir, 'cluster', 'node-1.json');
      writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), publicInsecureHttp: true }),
      );
      const configured = await runCli(['server', '--config', file]);
      assert.equal(configured.code, 1, configured.stderr);
      assert.doesNotMatch(configured.stderr, /refusing/);
    });

    it('dsv cluster init warns when it writes such configs', async () => {
      const result = await runCli([
        'cluster',
        'init',
        '--nodes',
        '3',
        '--dir',
        join(dir, 'warned'),
        '--kafka',
        '127.0.0.1:1',
        '--hosts',
        'a,b,c',
        '--kek',
        'key-file',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /WARNING: the public API binds 0\.0\.0\.0 without --public-tls/);
    });
  });
});
