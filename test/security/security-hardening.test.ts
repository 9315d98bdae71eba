// Regressions for the security hardening findings (slow bodies, audit coverage and keying, history
// capability, NFC on v1, unseal secrets in the environment, file modes, request budgets, response headers).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import {
  AuditPathHasher,
  readAuditChainKey,
  readAuditSecret,
  verifyAuditTrail,
} from '../../src/audit/index.ts';
import {
  canonicalJson,
  hashRecord,
  type AuditRecord,
  type UnsealedAuditRecord,
} from '../../src/audit/audit-record.ts';
import { editLines, firstSegment, tempAuditDir, writeTrail } from '../../src/audit/testing/audit-fixtures.ts';
import { closeHttpAgent, send, v1As } from '../testing/authz-model-http.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { runDsv, type DsvProcess } from '../testing/dsv-process.ts';
import { v1 } from '../testing/v1-client.ts';
import { freePortRange } from '../testing/free-ports.ts';

interface Raw {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Raw> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };

describe('security hardening (dev cluster with small limits)', () => {
  let test: TestCluster;
  let root = '';
  const url = () => test.urls[0] ?? '';
  before(async () => {
    test = await startTestCluster({
      nodes: 3,
      limits: {
        requestTimeoutMs: 1500,
        connectionTimeoutMs: 10_000,
        maxEnvSecrets: 3,
        maxEnvValueBytes: 64,
        maxAllVersions: 3,
      },
    });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('H1: a request whose body never finishes is cut off within requestTimeout', async () => {
    const target = new URL(url());
    const socket = connect(Number(target.port), target.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(
      'POST /api/v1/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
        'content-length: 1000\r\n\r\n{"user":"u",',
    );
    // Trickle a byte now and then, so only the whole-request timeout (not the idle one) can end it.
    const trickle = setInterval(() => socket.write(' '), 200);
    const started = Date.now();
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(trickle);
    const took = Date.now() - started;
    assert.ok(took < 5000, `closed after ${took} ms`);
    assert.match(received, /^HTTP\/1\.1 408/);
    assert.match(received, /\r\nx-dsv-error-code: DSV_REQUEST_TIMEOUT\r\n/i);
  });

  it('H1: the connection cap and timeouts come from the node config limits', () => {
    const server = test.cluster.nodesById.get('node-0');
    assert.ok(server);
    assert.equal(server.config.limits.requestTimeoutMs, 1500);
    assert.equal(server.config.limits.maxConnections, 1024);
  });

  it('H9: a .env transform has a budget of secrets and value bytes; /all a budget of versions', async () => {
    const env = (content: string) =>
      raw(url(), 'POST', '/api/v1/secrets/env?user=h9', { 'content-type': 'text/plain' }, content);
    const tooMany = await env('A=enc(1)\nB=enc(2)\nC=enc(3)\nD=enc(4)');
    assert.equal(tooMany.status, 413);
    assert.equal(tooMany.headers['x-dsv-error-code'], 'DSV_ENV_BUDGET_EXCEEDED');
    assert.equal((await raw(url(), 'GET', '/api/v1/secrets/A?user=h9')).status, 404, 'nothing written');
    const tooBig = await env(`A=enc(${'x'.repeat(40)})\nB=enc(${'y'.repeat(40)})`);
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.headers['x-dsv-error-code'], 'DSV_ENV_BUDGET_EXCEEDED');
    // Reads count too: two 40-byte values resolved in one file are over 64 bytes.
    assert.equal((await env(`A=enc(${'x'.repeat(40)})`)).status, 200);
    assert.equal((await env(`B=enc(${'y'.repeat(40)})`)).status, 200);
    const reads = await env('X=secret(A)\nY=secret(B)');
    assert.equal(reads.status, 413);
    assert.doesNotMatch(reads.body, /xxxx|yyyy/);
    assert.equal((await env('X=secret(A)')).status, 200);
    // /all: at most 3 versions.
    const put = (value: string) =>
      raw(
        url(),
        'PUT',
        '/api/v1/secrets',
        json,
        JSON.stringify({ user: 'h9', secretCurrentName: 'A', secretUpdatedValue: value }),
      );
    assert.equal((await put('2')).status, 200);
    assert.equal((await put('3')).status, 200);
    assert.equal((await raw(url(), 'GET', '/api/v1/secrets/A/all?user=h9')).status, 200);
    assert.equal((await put('4')).status, 200);
    const all = await raw(url(), 'GET', '/api/v1/secrets/A/all?user=h9');
    assert.equal(all.status, 413);
    assert.equal(all.headers['x-dsv-error-code'], 'DSV_TOO_MANY_VERSIONS');
    assert.equal((await raw(url(), 'GET', '/api/v1/secrets/A?user=h9&version=4')).body, '4');
  });

  it('H8: node data dirs are 0700; the database, its WAL, the audit trail and keys are 0600', () => {
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    const node = join(test.dataDir, 'node-0');
    assert.equal(mode(test.dataDir), '700');
    assert.equal(mode(node), '700');
    for (const name of readdirSync(node).filter((n) => n.startsWith('node.sqlite')))
      assert.equal(mode(join(node, name)), '600', name);
    assert.equal(mode(join(node, 'audit')), '700');
    for (const name of readdirSync(join(node, 'audit')))
      assert.equal(mode(join(node, 'audit', name)), '600', name);
    assert.equal(mode(join(test.dataDir, 'dev-kek.key')), '600');
  });

  it('H2: a .env transform records the path HMAC of every secret it reads or writes', async () => {
    const env = (content: string) =>
      raw(url(), 'POST', '/api/v1/secrets/env?user=h2', { 'content-type': 'text/plain' }, content);
    assert.equal((await env('READ_ME=enc(r)')).status, 200);
    assert.equal((await env('WRITTEN=enc(w)\nX=secret(READ_ME)')).status, 200);
    const auditDir = join(test.dataDir, 'node-0', 'audit');
    const hasher = new AuditPathHasher(await readAuditSecret(auditDir));
    const trail = readdirSync(auditDir)
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => readFileSync(join(auditDir, name), 'utf8'))
      .join('');
    const records = trail
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { operation: string; pathHmac: string | null });
    for (const name of ['READ_ME', 'WRITTEN']) {
      const hmac = hasher.pathHmac('default', 'h2', name);
      const touched = records.filter((r) => r.pathHmac === hmac && r.operation === 'env.transform');
      assert.ok(touched.length >= 1, `no env.transform record for ${name}`);
    }
    // READ_ME was written by the first file and read by the second.
    const readMe = hasher.pathHmac('default', 'h2', 'READ_ME');
    // Gateway records only: the holder's own release record (peer.shard-release, I-S5) carries the HMAC too.
    const gateway = records.filter((r) => r.pathHmac === readMe && !r.operation.startsWith('peer.'));
    assert.equal(gateway.length, 2);
    assert.ok(records.some((r) => r.pathHmac === readMe && r.operation === 'peer.shard-release'));
  });

  it('H10: every public response says no-store and nosniff (success, error, 404, v2)', async () => {
    const created = await raw(
      url(),
      'POST',
      '/api/v1/secrets',
      json,
      JSON.stringify({ user: 'h10', secretName: 'k', secretValue: 'v' }),
    );
    const responses = [
      created,
      await raw(url(), 'GET', '/api/v1/secrets/k?user=h10'),
      await raw(url(), 'GET', '/api/v1/secrets/missing?user=h10'),
      await raw(url(), 'GET', '/nowhere'),
      await raw(url(), 'GET', '/health'),
      await raw(url(), 'GET', '/v2/secrets/h10/k', { authorization: `Bearer ${root}` }),
      await raw(url(), 'GET', '/v2/secrets/h10/k'),
    ];
    for (const response of responses) {
      assert.equal(response.headers['cache-control'], 'no-store', JSON.stringify(response.status));
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
    assert.equal(responses[1]?.body, 'v');
  });
});

describe('security hardening (production mode: tokens and policies)', () => {
  let test: TestCluster;
  let url = '';
  let root = '';
  const tokens: Record<string, string> = {};
  const policy = async (name: string, rules: unknown[]) =>
    assert.equal(
      (await send(url, 'PUT', `/v2/sys/policies/${name}?tenant=acme`, root, { rules })).status,
      200,
    );
  const token = async (policies: string[]) => {
    const created = await send(url, 'POST', '/v2/sys/tokens', root, { tenant: 'acme', policies });
    return (JSON.parse(created.body) as { token: string }).token;
  };
  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    url = test.urls[0] ?? '';
    root = await test.cluster.issueDevRootToken();
    assert.equal((await send(url, 'POST', '/v2/sys/tenants', root, { name: 'acme' })).status, 201);
    await policy('all', [
      { namespace: '*', name: '*', capabilities: ['read', 'create', 'update', 'delete', 'history'] },
    ]);
    await policy('read', [{ namespace: 'team', name: '*', capabilities: ['read'] }]);
    await policy('cafe', [{ namespace: 'team', name: 'caf\u00e9', capabilities: ['read', 'create'] }]);
    tokens.all = await token(['all']);
    tokens.read = await token(['read']);
    tokens.cafe = await token(['cafe']);
  });
  after(async () => {
    closeHttpAgent();
    await test?.stop();
  });

  it('H5: any version but the latest needs the history capability (v1, v1 .env, v2)', async () => {
    const all = tokens.all ?? '';
    const reader = tokens.read ?? '';
    assert.equal((await v1As.create(url, all, 'team', 'db', 'old')).status, 201);
    assert.equal((await v1As.update(url, all, 'team', 'db', 'new')).status, 200);
    // The latest needs only `read`.
    assert.equal((await v1As.read(url, reader, 'team', 'db')).body, 'new');
    const v1Old = await v1As.read(url, reader, 'team', 'db', 1);
    assert.equal(v1Old.status, 403, `v1 ?version=1 with read only: ${v1Old.status} ${v1Old.body}`);
    const envOld = await v1As.env(url, reader, 'team', 'X=secret(db, version=1)');
    assert.equal(envOld.status, 403, `.env version=1 with read only: ${envOld.status} ${envOld.body}`);
    assert.doesNotMatch(envOld.body, /old/);
    assert.equal((await v1As.env(url, reader, 'team', 'X=secret(db)')).body.trim(), 'X=new');
    const v2Old = await send(url, 'GET', '/v2/secrets/team/db?version=1', reader);
    assert.equal(v2Old.status, 403);
    const asOf = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    assert.equal((await send(url, 'GET', `/v2/secrets/team/db?asOf=${asOf}`, reader)).status, 403);
    assert.equal((await send(url, 'GET', '/v2/secrets/team/db', reader)).status, 200);
    // With history, old versions still read.
    assert.equal((await v1As.read(url, all, 'team', 'db', 1)).body, 'old');
    assert.equal((await v1As.env(url, all, 'team', 'X=secret(db, version=1)')).body.trim(), 'X=old');
  });

  it('H6: v1 names are NFC: cafe\\u0301 is the same secret as caf\\u00e9, not a second one a policy misses', async () => {
    const cafe = tokens.cafe ?? '';
    assert.equal((await v1As.create(url, cafe, 'team', 'caf\u00e9', 'one')).status, 201);
    // Both forms name one secret: a create in the other form is a duplicate, not a new secret.
    const nfd = await v1As.create(url, tokens.all ?? '', 'team', 'cafe\u0301', 'two');
    assert.equal(nfd.status, 409, `NFD create: ${nfd.status} ${nfd.body}`);
    const read = await v1As.read(url, cafe, 'team', 'cafe\u0301');
    assert.equal(read.status, 200);
    assert.equal(read.body, 'one');
    // The namespace is NFC too (user=).
    assert.equal((await v1As.create(url, tokens.all ?? '', 'n\u00e9s', 'k', 'x')).status, 201);
    assert.equal((await v1As.read(url, tokens.all ?? '', 'ne\u0301s', 'k')).body, 'x');
    // v1 .env: the two forms of one name in one file are a repeated key.
    const env = await v1As.env(url, tokens.all ?? '', 'team', 'caf\u00e9=get\ncafe\u0301=delete');
    assert.equal(env.status, 400);
    assert.equal((await v1As.read(url, cafe, 'team', 'caf\u00e9')).body, 'one');
  });

  it('H13: every admin route records its action and target (accessor, policy, tenant), never a token', async () => {
    const ok = async (method: string, path: string, body: unknown, status: number) => {
      const reply = await send(url, method, path, root, body);
      assert.equal(reply.status, status, `${method} ${path}: ${reply.body}`);
      return reply;
    };
    const created = JSON.parse(
      (await ok('POST', '/v2/sys/tokens', { tenant: 'acme', policies: ['read'] }, 201)).body,
    ) as { token: string; accessor: string };
    await ok('DELETE', `/v2/sys/tokens/${created.accessor}`, undefined, 200);
    await ok(
      'PUT',
      '/v2/sys/policies/h13?tenant=acme',
      { rules: [{ namespace: 'h13', name: '*', capabilities: ['read'] }] },
      200,
    );
    await ok('DELETE', '/v2/sys/policies/h13?tenant=acme', undefined, 204);
    await ok('POST', '/v2/sys/tenants', { name: 'h13-gone' }, 201);
    await ok('PUT', '/v2/sys/quotas?tenant=acme', { maxSecrets: 1000 }, 200);
    await ok('POST', '/api/admin/keys/rotate', { tenant: 'acme' }, 200);
    await ok('POST', '/api/admin/tenants/h13-gone/shred', undefined, 200);
    // A refused call is recorded with its action too (F4: without the accessor it named).
    assert.equal((await send(url, 'DELETE', `/v2/sys/tokens/${created.accessor}`, tokens.read)).status, 403);

    const auditDir = join(test.dataDir, 'node-0', 'audit');
    const trail = readdirSync(auditDir)
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => readFileSync(join(auditDir, name), 'utf8'))
      .join('');
    const records = trail
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditRecord);
    const find = (operation: string, target: string, outcome = 'ok') =>
      assert.ok(
        records.some((r) => r.operation === operation && r.target === target && r.outcome === outcome),
        `no ${outcome} ${operation} record for ${target}`,
      );
    find('token.create', `token:${created.accessor}`);
    find('token.revoke', `token:${created.accessor}`);
    // The refused revoke is recorded with its action, not its target: a token that administers nothing is
    // refused before any accessor is looked up, so its trail says nothing of which accessors exist.
    assert.ok(
      records.some((r) => r.operation === 'token.revoke' && r.outcome === 'denied' && r.target === null),
      'no denied token.revoke record',
    );
    find('policy.put', 'policy:acme/h13');
    find('policy.delete', 'policy:acme/h13');
    find('tenant.create', 'tenant:h13-gone');
    find('quota.set', 'tenant:acme');
    find('keys.rotate', 'tenant:acme');
    find('tenant.shred', 'tenant:h13-gone');
    // Neither the new token nor the root token is ever in the trail.
    assert.ok(!trail.includes(created.token));
    assert.ok(!trail.includes(root));
  });
});

describe('security hardening: dsv server start-up secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-harden-'));
  let port = 0;
  before(async () => {
    port = await freePortRange(2);
    // No broker at this address: start-up stops at Kafka, after the KEK (sealed tests never get there).
    const init = runDsv([
      'cluster',
      'init',
      '--nodes',
      '1',
      '--dir',
      dir,
      '--kafka',
      '127.0.0.1:1',
      '--base-port',
      String(port),
    ]);
    assert.equal(await init.exited, 0, init.output());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const withKek = (kek: unknown) => {
    const path = join(dir, 'node-0.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...config, kek }, null, 2));
    return path;
  };

  it('H8: a key file readable by group or others is refused (exit 2, clear message)', async () => {
    const keyFile = join(dir, 'open.key');
    writeFileSync(keyFile, 'ab'.repeat(32), { mode: 0o644 });
    const server = runDsv(['server', '--config', withKek({ kind: 'key-file', path: keyFile })]);
    assert.equal(await server.exited, 2, server.output());
    assert.match(server.output(), /readable or writable by group or others.*chmod 600/);
  });

  it('H8: a passphrase shorter than 12 characters is refused (exit 2), and not echoed', async () => {
    const server = runDsv(['server', '--config', withKek({ kind: 'passphrase' })], {
      DSV_UNSEAL_PASSPHRASE: 'x',
    });
    assert.equal(await server.exited, 2, server.output());
    assert.match(server.output(), /shorter than 12 characters/);
  });
});

describe('security hardening: keyed and anchored audit chain', () => {
  /** An attacker with write access but without the chain key: drops a record, recomputes every later hash. */
  const dropAndRehash = (lines: string[], at: number, hash: (r: UnsealedAuditRecord) => string) => {
    const out = lines.filter((_, i) => i !== at);
    let prevHash = at === 0 ? '0'.repeat(64) : (JSON.parse(out[at - 1] ?? '') as AuditRecord).hash;
    for (let i = at; i < out.length; i++) {
      const { hash: _old, ...rest } = JSON.parse(out[i] ?? '') as AuditRecord;
      const unsealed = { ...rest, seq: i, prevHash };
      prevHash = hash(unsealed);
      out[i] = canonicalJson({ ...unsealed, hash: prevHash });
    }
    return out;
  };

  it('H11: a record deleted with every later hash recomputed without the chain key fails verification', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 8);
      const original = readFileSync(firstSegment(dir), 'utf8');
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink, undefined);
      // A guessed key; the records from the gap on rewritten as unkeyed format 1 (a downgrade after keyed
      // records); keyed records hashed with plain SHA-256.
      const forgeries: Array<(r: UnsealedAuditRecord) => string> = [
        (r) => hashRecord(r, randomBytes(32)),
        (r) => {
          const { v: _v, target: _t, ...v1 } = r;
          return hashRecord(v1);
        },
        (r) => createHash('sha256').update(JSON.stringify(r)).digest('hex'),
      ];
      for (const [i, forge] of forgeries.entries()) {
        writeFileSync(firstSegment(dir), original);
        await editLines(firstSegment(dir), (lines) =>
          i === 1
            ? dropAndRehash(lines, 3, forge).map((line, at) => {
                if (at < 3) return line;
                const { v: _v, target: _t, ...v1 } = JSON.parse(line) as AuditRecord;
                return canonicalJson(v1);
              })
            : dropAndRehash(lines, 3, forge),
        );
        const result = await verifyAuditTrail(dir);
        assert.deepEqual(
          [result.firstBrokenLink?.seq, result.firstBrokenLink?.reason],
          [3, 'modified'],
          `forgery ${i}`,
        );
      }
      // With the key it would verify: the chain itself is what the key protects.
      writeFileSync(firstSegment(dir), original);
      const key = await readAuditChainKey(dir);
      await editLines(firstSegment(dir), (lines) => dropAndRehash(lines, 3, (r) => hashRecord(r, key)));
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink, undefined);
      // The key is a 0600 file beside audit.key.
      assert.equal((statSync(join(dir, 'audit-chain.key')).mode & 0o777).toString(8), '600');
    } finally {
      await dispose();
    }
  });

  it('H11: an old unkeyed (format 1) trail still verifies, and says it is unkeyed; a node extends it keyed', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 3);
      // Rewrite as the pre-key format: SHA-256 chain, no v, no target.
      const v1Lines: string[] = [];
      let prevHash = '0'.repeat(64);
      for (const line of readFileSync(firstSegment(dir), 'utf8').split('\n').filter(Boolean)) {
        const { v: _v, target: _t, hash: _h, ...rest } = JSON.parse(line) as AuditRecord;
        const unsealed = { ...rest, prevHash };
        prevHash = hashRecord(unsealed);
        v1Lines.push(canonicalJson({ ...unsealed, hash: prevHash }));
      }
      writeFileSync(firstSegment(dir), v1Lines.map((l) => `${l}\n`).join(''));
      const old = await verifyAuditTrail(dir);
      assert.equal(old.firstBrokenLink, undefined);
      assert.deepEqual([old.records, old.unkeyedRecords], [3, 3]);
      await writeTrail(dir, 2);
      const mixed = await verifyAuditTrail(dir);
      assert.equal(mixed.firstBrokenLink, undefined);
      assert.deepEqual([mixed.records, mixed.unkeyedRecords], [5, 3]);
    } finally {
      await dispose();
    }
  });

  it('H12: dsv audit head exports the head; verify --anchor fails once the trail is cut below it', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 6);
      const head = runDsv(['audit', 'head', '--dir', dir]);
      assert.equal(await head.exited, 0, head.output());
      const exported = JSON.parse(head.output().trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
      assert.deepEqual([exported.seq, exported.node], [5, 'node-0']);
      assert.match(String(exported.hash), /^[0-9a-f]{64}$/);
      const anchorFile = join(dir, '..', 'head.json');
      writeFileSync(anchorFile, head.output());
      const intact = runDsv(['audit', 'verify', '--dir', dir, '--anchor', anchorFile]);
      assert.equal(await intact.exited, 0, intact.output());
      // More records after the anchor are fine: the anchored one is still there.
      await writeTrail(dir, 2);
      const grown = runDsv(['audit', 'verify', '--dir', dir, '--anchor', anchorFile]);
      assert.equal(await grown.exited, 0, grown.output());
      // Cut cleanly along newlines below the anchor: the chain alone still verifies, the anchor does not.
      await editLines(firstSegment(dir), (lines) => lines.slice(0, 4));
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink, undefined);
      const cut = runDsv(['audit', 'verify', '--dir', dir, '--anchor', anchorFile]);
      assert.equal(await cut.exited, 1, cut.output());
      assert.match(cut.output(), /broken at seq \d+: removed/);
      // An anchor for another node does not vouch for this trail.
      writeFileSync(anchorFile, JSON.stringify({ ...exported, node: 'node-9' }));
      const other = runDsv(['audit', 'verify', '--dir', dir, '--anchor', anchorFile]);
      assert.equal(await other.exited, 1, other.output());
    } finally {
      await dispose();
    }
  });
});

describe(
  'security hardening: the unseal passphrase stays out of node processes’ environment',
  { timeout: 300_000 },
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dsv-harden-env-'));
    const passphrase = 'h14 unseal passphrase never in environ';
    let dsv: DsvProcess | undefined;
    after(async () => {
      if (dsv?.child.exitCode === null) {
        dsv.child.kill('SIGINT');
        await Promise.race([dsv.exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
        if (dsv.child.exitCode === null) dsv.child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    });

    /** Every live process below `root` (the node processes, the broker and whatever they started). */
    const descendants = (root: number): number[] => {
      const parentOf = new Map<number, number>();
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          // The command name is in parentheses and may hold spaces: the fields after the last ')' are fixed.
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
        } catch {
          // exited meanwhile
        }
      }
      const found: number[] = [];
      const walk = (pid: number) => {
        for (const [child, parent] of parentOf) {
          if (parent !== pid) continue;
          found.push(child);
          walk(child);
        }
      };
      walk(root);
      return found;
    };

    it('H14: dsv dev --kafka hands it to node processes through a pipe: no /proc/<pid>/environ holds it; the cluster unseals and serves', async () => {
      const port = await freePortRange(3);
      dsv = runDsv(['dev', '--kafka', '--port', String(port), '--data-dir', dataDir], {
        DSV_UNSEAL_PASSPHRASE: passphrase,
        DSV_PKCS11_PIN: 'h14-pin-never-in-environ',
      });
      await dsv.waitFor(/cluster ready/, 240_000);
      const nodePids = [...dsv.output().matchAll(/^node-\d+\s+http:\/\/\S+\s+pid (\d+)$/gm)].map((m) =>
        Number(m[1]),
      );
      assert.equal(nodePids.length, 3, dsv.output());
      const parent = dsv.child.pid ?? -1;
      const all = descendants(parent);
      for (const pid of nodePids) assert.ok(all.includes(pid), `node pid ${pid} is a child of dsv dev`);
      for (const pid of all) {
        let environ: Buffer;
        let cmdline: Buffer;
        try {
          environ = readFileSync(`/proc/${pid}/environ`);
          cmdline = readFileSync(`/proc/${pid}/cmdline`);
        } catch {
          continue; // a short-lived helper that already exited
        }
        for (const secret of [passphrase, 'h14-pin-never-in-environ', 'DSV_UNSEAL_PASSPHRASE=']) {
          assert.equal(environ.includes(secret), false, `pid ${pid} environ holds ${secret.slice(0, 10)}…`);
          assert.equal(cmdline.includes(secret), false, `pid ${pid} cmdline holds ${secret.slice(0, 10)}…`);
        }
      }
      // Sanity: the check reads what it should (the parent was given the passphrase in its environment).
      assert.ok(readFileSync(`/proc/${parent}/environ`).includes(passphrase));
      // Unsealed with the passphrase, and serving across nodes.
      const config = JSON.parse(readFileSync(join(dataDir, 'cluster', 'node-0.json'), 'utf8')) as {
        kek: { kind: string };
      };
      assert.equal(config.kek.kind, 'passphrase');
      assert.equal((await v1.create(`http://127.0.0.1:${port}`, 'h14', 'k', 'served')).status, 201);
      const read = await v1.read(`http://127.0.0.1:${port + 2}`, 'h14', 'k');
      assert.deepEqual([read.status, read.body], [200, 'served']);
      dsv.child.kill('SIGINT');
      assert.equal(await dsv.exited, 130);
    });
  },
);
