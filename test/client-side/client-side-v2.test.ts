// The v2 acceptance through the client library (issue #9): conditional writes, idempotency, asOf and version
// reads, versions, unchanged values, the .env transform all-or-nothing, and errors as problem+json codes, with
// every value split and combined in this process. Values written either way read back the same either way,
// and the library refuses what a lying node could make it do (send shards elsewhere, accept a bad shard).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DsvClient, DsvClientError, type ClusterTopology, type FetchLike } from '../../client/index.ts';
import { nodeCredential } from '../../src/trust/node-credentials.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { wireCall, type WireReply } from '../testing/client-side-wire.ts';

const call = (
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<WireReply> => wireCall(url, method, path, { token }, body, { headers });

/** What a rejected promise threw, as [status, code]. */
async function failure(promise: Promise<unknown>): Promise<[number, string]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DsvClientError, String(error));
    return [error.status, error.code];
  }
  assert.fail('expected a failure');
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('v2 acceptance through the client library (client-side mode)', () => {
  let test: TestCluster;
  let root = '';
  let rw = '';
  let writeOnly = '';
  let client: DsvClient;
  /** The topology every client here pins (as a login stores it). */
  let pin: ClusterTopology;
  const url = (i: number) => test.urls[i] ?? '';

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    assert.equal((await call(url(0), 'POST', '/v2/sys/tenants', root, { name: 'acme' })).status, 201);
    for (const [policy, capabilities] of [
      ['rw', ['read', 'create', 'update', 'delete', 'history', 'list']],
      ['wo', ['create', 'update']],
    ] as const) {
      const stored = await call(url(1), 'PUT', `/v2/sys/policies/${policy}?tenant=acme`, root, {
        rules: [{ path: 'app/*', capabilities }],
      });
      assert.equal(stored.status, 200, stored.text);
    }
    const token = async (policy: string) =>
      String(
        (await call(url(2), 'POST', '/v2/sys/tokens', root, { tenant: 'acme', policies: [policy] })).json
          .token,
      );
    rw = await token('rw');
    writeOnly = await token('wo');
    pin = await DsvClient.fetchTopology(url(0));
    client = new DsvClient({ url: url(0), token: rw, fallbacks: [url(1), url(2)], ...pin });
  });
  after(async () => {
    await test?.stop();
  });

  it('put creates (created: true), get combines the value; ETag = version; topology is the cluster', async () => {
    assert.deepEqual(await client.put('app', 'db', 'one'), { version: 1, created: true, unchanged: false });
    const read = await client.get('app', 'db');
    assert.equal(text(read.value), 'one');
    assert.deepEqual([read.version, read.etag, read.validTo], [1, '"1"', null]);
    const topology = await client.topology();
    assert.deepEqual([topology.sharing.n, topology.sharing.k, topology.nodes.length], [3, 2, 3]);
  });

  it('If-None-Match: * on an existing secret is 409 DSV_SECRET_EXISTS, as on the server path', async () => {
    assert.deepEqual(await failure(client.put('app', 'db', 'again', { ifNoneMatch: '*' })), [
      409,
      'DSV_SECRET_EXISTS',
    ]);
    const served = await call(
      url(1),
      'PUT',
      '/v2/secrets/app/db',
      rw,
      { value: 'again' },
      { 'if-none-match': '*' },
    );
    assert.deepEqual([served.status, served.json.code], [409, 'DSV_SECRET_EXISTS']);
    assert.deepEqual(await client.put('app', 'fresh', 'x', { ifNoneMatch: '*' }), {
      version: 1,
      created: true,
      unchanged: false,
    });
  });

  it('If-Match: the current version (or a list holding it) updates; another is 412; * on a missing secret is 412', async () => {
    const { version } = await client.put('app', 'cas', 'v1');
    assert.deepEqual(await client.put('app', 'cas', 'v2', { ifMatch: version }), {
      version: 2,
      created: false,
      unchanged: false,
    });
    assert.deepEqual(await failure(client.put('app', 'cas', 'v3', { ifMatch: 1 })), [
      412,
      'DSV_PRECONDITION_FAILED',
    ]);
    assert.deepEqual((await client.put('app', 'cas', 'v3', { ifMatch: [1, 2] })).version, 3);
    assert.deepEqual(await failure(client.put('app', 'cas', 'v4', { ifMatch: [1, 2] })), [
      412,
      'DSV_PRECONDITION_FAILED',
    ]);
    assert.deepEqual((await client.put('app', 'cas', 'v4', { ifMatch: '*' })).version, 4);
    assert.deepEqual(await failure(client.put('app', 'nothing-here', 'v', { ifMatch: '*' })), [
      412,
      'DSV_PRECONDITION_FAILED',
    ]);
    assert.deepEqual(await failure(client.put('app', 'nothing-here', 'v', { ifMatch: 1 })), [
      412,
      'DSV_PRECONDITION_FAILED',
    ]);
    assert.equal(text((await client.get('app', 'cas')).value), 'v4');
  });

  it('Idempotency-Key: a replay answers as the first request did and makes no second version, in either mode', async () => {
    const first = await client.put('app', 'idem', 'first', { idempotencyKey: 'key-1' });
    assert.deepEqual(first, { version: 1, created: true, unchanged: false });
    assert.deepEqual(await client.put('app', 'idem', 'other value', { idempotencyKey: 'key-1' }), first);
    // The server path replays the same attempts (K, then K + "\n2") and gets the same answer.
    const served = await call(
      url(2),
      'PUT',
      '/v2/secrets/app/idem',
      rw,
      { value: 'x' },
      { 'idempotency-key': 'key-1' },
    );
    assert.deepEqual([served.status, served.json.version], [201, 1]);
    assert.equal((await client.versions('app', 'idem')).length, 1);
    const update = await client.put('app', 'idem', 'second', { idempotencyKey: 'key-2', ifMatch: 1 });
    assert.deepEqual(
      await client.put('app', 'idem', 'second', { idempotencyKey: 'key-2', ifMatch: 1 }),
      update,
    );
    assert.equal((await client.versions('app', 'idem')).length, 2);
    assert.equal(text((await client.get('app', 'idem')).value), 'second');
  });

  it('an unchanged value makes no new version; version and asOf reads; versions oldest first', async () => {
    await client.put('app', 'hist', 'h1');
    await client.put('app', 'hist', 'h2');
    assert.deepEqual(await client.put('app', 'hist', 'h2'), { version: 2, created: false, unchanged: true });
    const versions = await client.versions('app', 'hist');
    assert.deepEqual(
      versions.map((v) => v.version),
      [1, 2],
    );
    assert.equal(text((await client.get('app', 'hist', { version: 1 })).value), 'h1');
    const [v1, v2] = versions;
    assert.ok(v1 && v2);
    const atFirst = await client.get('app', 'hist', { asOf: v1.validFrom });
    assert.deepEqual([text(atFirst.value), atFirst.version, atFirst.validTo], ['h1', 1, v2.validFrom]);
    assert.equal(text((await client.get('app', 'hist', { asOf: new Date(v2.validFrom) })).value), 'h2');
    assert.deepEqual(await failure(client.get('app', 'hist', { version: 9 })), [404, 'DSV_SECRET_NOT_FOUND']);
    assert.deepEqual(await failure(client.get('app', 'hist', { version: 1, asOf: v1.validFrom })), [
      400,
      'DSV_INPUT_INVALID',
    ]);
  });

  it('bytes written server-side read the same client-side, and the other way round', async () => {
    const served = new Uint8Array(randomBytes(48));
    const put = await call(url(1), 'PUT', '/v2/secrets/app/served', rw, {
      value: Buffer.from(served).toString('base64'),
      encoding: 'base64',
    });
    assert.equal(put.status, 201, put.text);
    assert.deepEqual((await client.get('app', 'served')).value, served);
    const mine = new Uint8Array(randomBytes(48));
    await client.put('app', 'mine', mine);
    const read = await call(url(2), 'GET', '/v2/secrets/app/mine', rw);
    assert.deepEqual(new Uint8Array(Buffer.from(String(read.json.value), 'base64')), mine);
  });

  it('.env: one intent for the file, all or nothing; a read-only file resolves as the server path does', async () => {
    await assert.rejects(
      client.transformEnv('app', 'NEW_ONE=enc(s3cret)\nX=secret(missing)\n'),
      (error: unknown) => {
        assert.ok(error instanceof DsvClientError);
        assert.deepEqual([error.status, error.code, error.details?.line], [404, 'DSV_SECRET_NOT_FOUND', 2]);
        assert.match(error.message, /missing/);
        return true;
      },
    );
    assert.deepEqual(await failure(client.get('app', 'NEW_ONE')), [404, 'DSV_SECRET_NOT_FOUND']);
    const output = await client.transformEnv(
      'app',
      'NEW_ONE=enc(s3cret)\nexport X=secret(db)\nY=secret(hist, version=1)',
    );
    assert.equal(output, 'NEW_ONE=secret(NEW_ONE)\nexport X=one\nY=h1');
    assert.equal(text((await client.get('app', 'NEW_ONE')).value), 's3cret');
    const readOnly = 'A=secret(NEW_ONE)\n# comment\nB="secret(hist, version=2)"\n';
    const served = await call(url(0), 'POST', '/v2/env:transform?namespace=app', rw, readOnly);
    assert.equal(served.status, 200, served.text);
    assert.equal(await client.transformEnv('app', readOnly), served.text);
    assert.deepEqual(await failure(client.transformEnv('app', 'NEW_ONE=enc(again)')), [
      409,
      'DSV_SECRET_EXISTS',
    ]);
  });

  it('delete is a client-side write of one delete op (compare-and-set too); list is metadata', async () => {
    await client.put('app', 'gone', 'soon');
    assert.ok((await client.list('app', { prefix: 'go' })).names.includes('gone'));
    assert.deepEqual(await failure(client.delete('app', 'gone', { ifMatch: 7 })), [
      412,
      'DSV_PRECONDITION_FAILED',
    ]);
    await client.delete('app', 'gone', { ifMatch: 1 });
    assert.deepEqual(await failure(client.get('app', 'gone')), [404, 'DSV_SECRET_NOT_FOUND']);
  });

  it('a wrong token is 401; a token without the right is 403; holders refuse shards to a token that may not read', async () => {
    const stranger = new DsvClient({ url: url(0), token: `dsv.${'A'.repeat(43)}`, ...pin });
    assert.deepEqual(await failure(stranger.get('app', 'db')), [401, 'DSV_AUTH_REQUIRED']);
    assert.deepEqual(await failure(stranger.put('app', 'db', 'x')), [401, 'DSV_AUTH_REQUIRED']);
    const writer = new DsvClient({ url: url(1), token: writeOnly, ...pin });
    assert.deepEqual(await failure(writer.get('app', 'db')), [403, 'DSV_AUTH_FORBIDDEN']);
    assert.deepEqual(await failure(writer.put('other', 'db', 'x')), [403, 'DSV_AUTH_FORBIDDEN']);
    // Even a resolver that answers for it (here: resolving with a reading token) gets it no shard: each holder
    // decides on its own control view (I-S5).
    const lyingResolver: FetchLike = (input, init) => {
      const target = new URL(input);
      if (!target.pathname.startsWith('/v2/client-side/resolve/')) return fetch(input, init);
      return fetch(input, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${rw}` },
      });
    };
    const sneaky = new DsvClient({ url: url(1), token: writeOnly, ...pin, fetch: lyingResolver });
    assert.deepEqual(await failure(sneaky.get('app', 'db')), [403, 'DSV_PEER_REJECTED']);
    // A write-only token still updates; holders give a client no shard to compare without `read` (to a client
    // a compare is a read), so an equal value cannot be found unchanged: it becomes a new version.
    assert.deepEqual(await writer.put('app', 'db', 'one'), { version: 2, created: false, unchanged: false });
    assert.equal(text((await client.get('app', 'db')).value), 'one');
  });

  it('a lying node: a plan URL is never called (the pinned one is); a plan moving a shard off its placement is refused', async () => {
    const elsewhere: string[] = [];
    const stagedAt: string[] = [];
    const lying =
      (move: 'url' | 'node'): FetchLike =>
      async (input, init) => {
        const target = new URL(input);
        if (target.pathname.startsWith('/v2/client-side/holder/')) {
          if (target.port === '1') elsewhere.push(target.href);
          stagedAt.push(target.origin);
        }
        const response = await fetch(input, init);
        if (target.pathname !== '/v2/client-side/writes') return response;
        const body = (await response.json()) as {
          plan?: Array<{ holders?: Array<{ nodeId: string; url: string }> }>;
        };
        const [first, second] = body.plan?.[0]?.holders ?? [];
        if (first && second && move === 'url') first.url = 'http://127.0.0.1:1';
        if (first && second && move === 'node') [first.nodeId, second.nodeId] = [second.nodeId, first.nodeId];
        return Response.json(body, { status: response.status });
      };
    const redirected = new DsvClient({ url: url(0), token: rw, ...pin, fetch: lying('url') });
    assert.equal((await redirected.put('app', 'placed', 'value')).version, 1);
    assert.deepEqual(elsewhere, []);
    assert.equal(text((await client.get('app', 'placed')).value), 'value');
    stagedAt.length = 0;
    const moved = new DsvClient({ url: url(0), token: rw, ...pin, fetch: lying('node') });
    assert.deepEqual(await failure(moved.put('app', 'moved', 'value')), [500, 'DSV_INTERNAL']);
    assert.deepEqual(stagedAt, []);
    assert.deepEqual(await failure(client.get('app', 'moved')), [404, 'DSV_SECRET_NOT_FOUND']);
  });

  it('the bearer token never leaves: each node gets only the credential derived for it (I-G3)', async () => {
    const seen: Array<{ url: URL; headers: Headers }> = [];
    const recording: FetchLike = (input, init) => {
      seen.push({ url: new URL(input), headers: new Headers(init?.headers) });
      return fetch(input, init);
    };
    const watched = new DsvClient({ url: url(0), token: rw, ...pin, fetch: recording });
    await watched.put('app', 'watched', 'w1');
    await watched.put('app', 'watched', 'w2', { ifMatch: [1, 7] });
    assert.equal(text((await watched.get('app', 'watched')).value), 'w2');
    await watched.transformEnv('app', 'W=secret(watched)\nNEW_W=enc(x)');
    await watched.delete('app', 'watched');
    const { clusterId, nodes } = await watched.topology();
    const idOf = (at: URL) => nodes.find((node) => new URL(node.url).origin === at.origin)?.nodeId ?? '';
    assert.ok(seen.length > 20);
    for (const { url: at, headers } of seen) {
      assert.equal(headers.get('authorization'), null, at.pathname);
      if (at.pathname === '/v2/client-side/topology') continue;
      assert.equal(headers.get('x-dsv-node-credential'), nodeCredential(rw, clusterId, idOf(at)), at.href);
    }
    const paths = new Set(
      seen.map(({ url: at }) => at.pathname.replace(/\/(app|watched|[0-9a-f-]{36})/g, '')),
    );
    for (const path of [
      '/v2/client-side/writes/prepare',
      '/v2/client-side/endorse',
      '/v2/client-side/holder/stage',
    ])
      assert.ok(paths.has(path), path);
  });

  it('a lying coordinator: an intent other than the one asked for is never carried to an endorser', async () => {
    const endorsed: string[] = [];
    const swapping: FetchLike = async (input, init) => {
      const target = new URL(input);
      if (target.pathname === '/v2/client-side/endorse') endorsed.push(target.href);
      const response = await fetch(input, init);
      if (target.pathname !== '/v2/client-side/writes/prepare' || !response.ok) return response;
      const body = (await response.json()) as { intent: { ops: Array<{ name: string }> } };
      const [op] = body.intent.ops;
      if (op) op.name = 'someone-else';
      return Response.json(body);
    };
    const fooled = new DsvClient({ url: url(1), token: rw, ...pin, fetch: swapping });
    assert.deepEqual(await failure(fooled.put('app', 'swap', 'v')), [500, 'DSV_INTERNAL']);
    assert.deepEqual(endorsed, []);
  });

  it('a lying resolver: a rollback to an older version loses to a second node; one node for every index is refused', async () => {
    const origin0 = new URL(url(0)).origin;
    const rollingBack: FetchLike = (input, init) => {
      const target = new URL(input);
      if (
        target.origin !== origin0 ||
        !target.pathname.startsWith('/v2/client-side/resolve/') ||
        target.search
      )
        return fetch(input, init);
      return fetch(`${target.href}?version=1`, init); // node-0 answers "latest" with version 1
    };
    for (let i = 0; i < 4; i++) {
      const read = await new DsvClient({ url: url(0), token: rw, ...pin, fetch: rollingBack }).get(
        'app',
        'hist',
      );
      assert.deepEqual([read.version, text(read.value)], [2, 'h2']);
    }
    const oneHolder: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (!new URL(input).pathname.startsWith('/v2/client-side/resolve/')) return response;
      const body = (await response.json()) as { holders: Array<{ nodeId: string; url: string }> };
      for (const holder of body.holders) Object.assign(holder, { nodeId: 'node-0', url: url(0) });
      return Response.json(body);
    };
    const fooled = new DsvClient({ url: url(0), token: rw, ...pin, fetch: oneHolder });
    assert.deepEqual(await failure(fooled.get('app', 'hist')), [500, 'DSV_INTERNAL']);
  });

  it('pinned topology: no node is asked for it, and calls go only to the pinned URLs; unpinned, nothing runs', async () => {
    const sentTo = new Set<string>();
    const paths = new Set<string>();
    const recording: FetchLike = (input, init) => {
      sentTo.add(new URL(input).origin);
      paths.add(new URL(input).pathname);
      return fetch(input, init);
    };
    const pinned = new DsvClient({ url: url(0), token: rw, ...pin, fetch: recording });
    assert.equal(text((await pinned.get('app', 'db')).value), 'one');
    await pinned.put('app', 'pinned', 'v');
    assert.ok(!paths.has('/v2/client-side/topology'));
    assert.deepEqual(
      [...sentTo].filter((origin) => !pin.nodes.some((node) => new URL(node.url).origin === origin)),
      [],
    );
    sentTo.clear();
    const unpinned = new DsvClient({ url: url(0), token: rw, fetch: recording });
    assert.deepEqual(await failure(unpinned.get('app', 'db')), [400, 'DSV_INPUT_INVALID']);
    assert.deepEqual([...sentTo], []);
    // A pin naming fewer nodes than n, or no cluster id, is refused when the client is made.
    assert.throws(() => new DsvClient({ url: url(0), token: rw, ...pin, nodes: pin.nodes.slice(0, 1) }), {
      code: 'DSV_INPUT_INVALID',
    });
    assert.throws(() => new DsvClient({ url: url(0), token: rw, nodes: pin.nodes }), {
      code: 'DSV_INPUT_INVALID',
    });
  });

  it('a holder answering a bad share is dropped (its commitment does not open); the read still gives the value', async () => {
    let tampered = 0;
    const corrupting: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (!new URL(input).pathname.endsWith('/holder/shard') || tampered > 0) return response;
      tampered++;
      const body = (await response.json()) as { share: string };
      const share = Buffer.from(body.share, 'base64');
      share[0] = (share[0] ?? 0) ^ 1;
      return Response.json({ ...body, share: share.toString('base64') });
    };
    const reader = new DsvClient({ url: url(2), token: rw, ...pin, fetch: corrupting, hedgeDelayMs: 5 });
    assert.equal(text((await reader.get('app', 'db')).value), 'one');
    assert.equal(tampered, 1);
  });
});
