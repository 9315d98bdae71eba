// I-G1 over mutual TLS (DESIGN §2): nodes built from `dsv cluster init` files talk over mTLS; a peer caller
// without a certificate, or with one the cluster CA did not sign, is refused before any shard is touched.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { partitionForTenant } from '../../src/cluster/placement.ts';
import { EmbeddedCommitLog } from '../../src/log/index.ts';
import { DsvNode } from '../../src/node/dsv-node.ts';
import { createLogger } from '../../src/node/logger.ts';
import { envelopeSealer } from '../../src/node/sealers.ts';
import { initCluster, loadServerConfig, type ServerConfig } from '../../src/node/server/index.ts';
import { createClusterCa, issueNodeCertificate, loadClusterCa } from '../../src/node/tls/index.ts';
import { freePortRange } from '../testing/free-ports.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';
import { loadNodeIdentity, loadTrustMaterial } from '../../src/trust/index.ts';

interface ClientTls {
  readonly ca: Buffer | string;
  readonly cert?: string;
  readonly key?: string;
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

interface PeerAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS request to a peer API with exactly the given client credentials (no connection reuse). */
function peerCall(
  url: string,
  path: string,
  tls: ClientTls,
  token: string,
  body?: unknown,
  connection: { agent?: Agent; peerNode?: string } = {},
): Promise<PeerAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      {
        method: body === undefined ? 'GET' : 'POST',
        agent: connection.agent ?? false,
        ...tls,
        headers: {
          'x-dsv-peer-node': connection.peerNode ?? 'node-0',
          'x-dsv-peer-token': token,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** What a refused handshake looks like to the client: a TLS alert or the connection torn down. */
const HANDSHAKE_REFUSED = /certificate|alert|ECONNRESET|socket hang up|EPIPE/i;

describe('peer API over mutual TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-mtls-'));
  const nodes: DsvNode[] = [];
  let log: EmbeddedCommitLog;
  let configs: ServerConfig[] = [];
  let token = '';
  let ca: Buffer;
  let member: { cert: string; key: string };
  let foreign: { cert: string; key: string };
  let stranger: { cert: string; key: string };

  before(async () => {
    const basePort = await freePortRange(3);
    const peerBasePort = await freePortRange(3);
    const init = await initCluster({
      nodes: 3,
      dir,
      kafka: ['127.0.0.1:9'],
      basePort,
      peerBasePort,
      kek: 'key-file',
      devMode: true,
    });
    configs = init.configFiles.map((file) => loadServerConfig(file));
    token = loadNodeIdentity(join(dir, 'node-0')).peerToken;
    ca = readFileSync(join(dir, 'ca', 'ca.crt'));
    member = {
      cert: readFileSync(join(dir, 'node-0', 'tls', 'client.crt'), 'utf8'),
      key: readFileSync(join(dir, 'node-0', 'tls', 'client.key'), 'utf8'),
    };
    // Same node id, another CA: what an attacker can mint for themselves.
    const otherCa = await createClusterCa('attacker');
    const forged = await issueNodeCertificate(otherCa, 'node-0');
    foreign = { cert: forged.certPem, key: forged.keyPem };
    // Signed by the cluster CA but naming no member (a retired node, a misissued certificate).
    const clusterCa = await loadClusterCa(ca.toString(), readFileSync(join(dir, 'ca', 'ca.key'), 'utf8'));
    const retired = await issueNodeCertificate(clusterCa, 'node-9');
    stranger = { cert: retired.certPem, key: retired.keyPem };

    log = await EmbeddedCommitLog.open({ dir: join(dir, 'log'), partitionCount: 3 });
    const logger = createLogger({ level: process.env.DSV_TEST_LOG_LEVEL ?? 'silent' });
    for (const config of configs) {
      const node = new DsvNode(
        { ...config, membership: { intervalMs: 200, suspectAfterMs: 600, failedAfterMs: 1500 } },
        {
          log,
          logger,
          trust: loadTrustMaterial(config.identityDir),
          sealer: envelopeSealer({
            kind: 'key-file',
            path: config.kek.kind === 'key-file' ? config.kek.path : '',
          }),
        },
      );
      nodes.push(node);
    }
    await Promise.all(nodes.map((node) => node.start()));
    await waitFor(async () => {
      const figures = await Promise.all(
        nodes.map(
          async (node) =>
            (await (await fetch(`${node.publicUrl}/api/v1/cluster/status`)).json()) as {
              healthyNodes: number;
            },
        ),
      );
      return figures.every((figure) => figure.healthyNodes === 3);
    }, 15_000);
  });

  after(async () => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const peerUrl = (i: number) => configs[1]?.members[i]?.peerUrl ?? '';
  const shardCounts = () => nodes.map((node) => node.coordinator?.context.shards.counts());
  const forgedStage = () => ({
    tenant: 'default',
    partition: 0,
    minOffset: 0,
    shards: [
      {
        namespace: 'mtls',
        name: 'forged',
        version: 1,
        writeId: `forged-${randomBytes(4).toString('hex')}`,
        index: 0,
        share: 'AAAA',
      },
    ],
  });

  /** A peer read of mtls/db version 1 (written by the first test) with the anonymous dev credential. */
  const anonymousRead = () => {
    const key = { tenant: 'default', namespace: 'mtls', name: 'db' };
    const info = nodes[1]?.coordinator?.context.view.version(key, 1);
    assert.ok(info, 'the secret written above is known to node-1');
    return {
      ...key,
      partition: partitionForTenant('default', 3),
      minOffset: 0,
      version: 1,
      writeId: info.writeId,
      credential: { kind: 'anonymous' },
      purpose: 'read',
    };
  };

  it('nodes see each other and serve writes and reads across nodes over mutual TLS', async () => {
    assert.match(peerUrl(1), /^https:\/\//);
    assert.equal((await v1.create(nodes[0]?.publicUrl ?? '', 'mtls', 'db', 'p4ss')).status, 201);
    const read = await v1.read(nodes[2]?.publicUrl ?? '', 'mtls', 'db');
    assert.deepEqual([read.status, read.body], [200, 'p4ss']);
  });

  it('a member certificate from the cluster CA with the peer token is served', async () => {
    const answer = await peerCall(peerUrl(1), '/peer/v1/health', { ca, ...member }, token);
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { nodeId: string }).nodeId, 'node-1');
  });

  it('I-G4: node-0’s server certificate (serverAuth only) cannot call a peer, even with its peer token', async () => {
    const serverOnly = {
      cert: readFileSync(join(dir, 'node-0', 'tls', 'node.crt'), 'utf8'),
      key: readFileSync(join(dir, 'node-0', 'tls', 'node.key'), 'utf8'),
    };
    // TLS itself refuses it (the certificate's purpose is not clientAuth); the hook would answer 403.
    const answer = await peerCall(peerUrl(1), '/peer/v1/health', { ca, ...serverOnly }, token).then(
      (reply) => reply.status,
      () => 'refused at the handshake',
    );
    assert.ok(answer === 403 || answer === 'refused at the handshake', String(answer));
  });

  it('I-G1: a caller with no client certificate is refused at the handshake and stores nothing', async () => {
    const before = shardCounts();
    await assert.rejects(
      peerCall(peerUrl(1), '/peer/v1/stage', { ca }, token, forgedStage()),
      HANDSHAKE_REFUSED,
    );
    await assert.rejects(peerCall(peerUrl(1), '/peer/v1/health', { ca }, token), HANDSHAKE_REFUSED);
    assert.deepEqual(shardCounts(), before);
  });

  it('I-G1: a certificate from another CA is refused at the handshake; no share is returned', async () => {
    const before = shardCounts();
    await assert.rejects(
      peerCall(peerUrl(1), '/peer/v1/stage', { ca, ...foreign }, token, forgedStage()),
      HANDSHAKE_REFUSED,
    );
    // A dev-mode cluster: the holder honours the anonymous dev claim, so only the certificate can refuse.
    const readBody = anonymousRead();
    await assert.rejects(
      peerCall(peerUrl(1), '/peer/v1/read', { ca, ...foreign }, token, readBody),
      HANDSHAKE_REFUSED,
    );
    // The same read with a member certificate does return the share: the refusal above was the certificate.
    const allowed = await peerCall(peerUrl(1), '/peer/v1/read', { ca, ...member }, token, readBody);
    assert.equal(allowed.status, 200, allowed.body);
    assert.deepEqual(shardCounts(), before);
  });

  it('I-G1: a cluster-CA certificate naming no member is refused with 403 and stores nothing', async () => {
    const before = shardCounts();
    const answer = await peerCall(peerUrl(1), '/peer/v1/stage', { ca, ...stranger }, token, forgedStage());
    assert.equal(answer.status, 403);
    assert.equal((JSON.parse(answer.body) as { code: string }).code, 'DSV_PEER_REJECTED');
    assert.deepEqual(shardCounts(), before);
  });

  it('I-G1: a member certificate without the peer token is refused with 403 (defence in depth)', async () => {
    const before = shardCounts();
    const answer = await peerCall(
      peerUrl(1),
      '/peer/v1/stage',
      { ca, ...member },
      'not-the-token',
      forgedStage(),
    );
    assert.equal(answer.status, 403);
    assert.deepEqual(shardCounts(), before);
  });

  it('the peer API speaks TLS 1.3 only: a member certificate over TLS 1.2 is refused at the handshake', async () => {
    await assert.rejects(
      peerCall(peerUrl(1), '/peer/v1/health', { ca, ...member, maxVersion: 'TLSv1.2' }, token),
      /version|alert|ECONNRESET|socket hang up/i,
    );
  });

  it('I-G4: on one kept-alive connection every call is checked against its certificate', async () => {
    // The certificate is read once per connection; the node a call claims is still checked on every call.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const tls = { ca, ...member };
      const served = await peerCall(peerUrl(1), '/peer/v1/health', tls, token, undefined, { agent });
      assert.equal(served.status, 200);
      const before = shardCounts();
      const claimsOther = await peerCall(peerUrl(1), '/peer/v1/stage', tls, token, forgedStage(), {
        agent,
        peerNode: 'node-2',
      });
      assert.equal(claimsOther.status, 403);
      assert.equal((JSON.parse(claimsOther.body) as { code: string }).code, 'DSV_PEER_REJECTED');
      assert.deepEqual(shardCounts(), before);
      const again = await peerCall(peerUrl(1), '/peer/v1/health', tls, token, undefined, { agent });
      assert.equal(again.status, 200);
    } finally {
      agent.destroy();
    }
  });

  it('read-batch: each release is decided on its own, exactly as alone; the batch needs the same peer identity', async () => {
    const read = anonymousRead();
    const tls = { ca, ...member };
    const alone = await peerCall(peerUrl(1), '/peer/v1/read', tls, token, read);
    assert.equal(alone.status, 200, alone.body);
    const reads = [
      read,
      { ...read, writeId: 'no-such-write' },
      { ...read, credential: { kind: 'token', credential: `dsv.${'x'.repeat(40)}` } },
      read,
    ];
    const batch = await peerCall(peerUrl(1), '/peer/v1/read-batch', tls, token, { items: reads });
    assert.equal(batch.status, 200, batch.body);
    const { results } = JSON.parse(batch.body) as {
      results: Array<{ answer?: unknown; refused?: { code: string; status: number } }>;
    };
    assert.equal(results.length, 4);
    assert.deepEqual(
      results[0],
      { answer: JSON.parse(alone.body) as unknown },
      'a batched release is the release alone',
    );
    assert.deepEqual(results[1], { refused: { code: 'DSV_SECRET_NOT_FOUND', status: 404 } });
    const refusal = results[2]?.refused?.status;
    assert.ok(
      refusal === 401 || refusal === 403,
      `a bad credential is refused for its item only: ${JSON.stringify(results[2])}`,
    );
    assert.equal(results[2]?.answer, undefined);
    assert.deepEqual(results[3], results[0]);
    // The batch route authenticates the calling node like every peer route.
    const claimsOther = await peerCall(
      peerUrl(1),
      '/peer/v1/read-batch',
      tls,
      token,
      { reads },
      {
        peerNode: 'node-2',
      },
    );
    assert.equal(claimsOther.status, 403);
    await assert.rejects(
      peerCall(peerUrl(1), '/peer/v1/read-batch', { ca, ...foreign }, token, { items: reads }),
      HANDSHAKE_REFUSED,
    );
    // Bounded: an empty batch or one over the limit is refused whole, before any release.
    for (const size of [0, 65]) {
      const refused = await peerCall(peerUrl(1), '/peer/v1/read-batch', tls, token, {
        items: Array.from({ length: size }, () => read),
      });
      assert.equal(refused.status, 400, `${size} reads`);
    }
  });

  it('stage-batch: a forged stage is refused for its item and stores nothing, as the single route does', async () => {
    const before = shardCounts();
    const tls = { ca, ...member };
    // Well-formed (it passes the schema), but for a write that was never ordered.
    const forged = () => {
      // On the tenant's own partition, which has applied records: the holder then decides at once.
      const body = { ...forgedStage(), partition: partitionForTenant('default', 3) };
      return {
        ...body,
        shards: body.shards.map((shard) => ({ ...shard, blinding: 'AAAA', commitment: 'c'.repeat(64) })),
      };
    };
    const alone = await peerCall(peerUrl(1), '/peer/v1/stage', tls, token, forged());
    assert.ok(alone.status >= 400 && alone.status < 500, alone.body);
    const batch = await peerCall(peerUrl(1), '/peer/v1/stage-batch', tls, token, {
      items: [forged(), forged()],
    });
    assert.equal(batch.status, 200, batch.body);
    const { results } = JSON.parse(batch.body) as {
      results: Array<{ refused?: { code: string; status: number } }>;
    };
    assert.equal(results.length, 2);
    for (const result of results) {
      assert.equal(result.refused?.status, alone.status, `${JSON.stringify(result)} vs ${alone.body}`);
      assert.equal(result.refused?.code, (JSON.parse(alone.body) as { code: string }).code);
    }
    assert.deepEqual(shardCounts(), before);
  });

  it('concurrent reads through one node, batched to its peers, all return the value', async () => {
    const url = nodes[0]?.publicUrl ?? '';
    for (let i = 0; i < 8; i++)
      assert.equal((await v1.create(url, 'mtls', `batch-${i}`, `value-${i}`)).status, 201);
    const answers = await Promise.all(
      Array.from({ length: 48 }, (_, i) => v1.read(nodes[i % 3]?.publicUrl ?? '', 'mtls', `batch-${i % 8}`)),
    );
    answers.forEach((answer, i) => assert.deepEqual([answer.status, answer.body], [200, `value-${i % 8}`]));
  });

  it('plain HTTP to the peer port gets no peer API at all', async () => {
    const plain = peerUrl(1).replace('https://', 'http://');
    const outcome = await fetch(`${plain}/peer/v1/health`, {
      headers: { 'x-dsv-peer-node': 'node-0', 'x-dsv-peer-token': token },
    }).then(
      (response) => response.status,
      () => 'refused',
    );
    assert.notEqual(outcome, 200);
  });
});
