// Client-side mode's wire protocol, by hand (docs/client-side-protocol.md, issue #9): a write split and staged by
// the client, a read combined by the client, and the holders' own refusals (I-S4c, I-S5, I-G3) against a second
// token of the same tenant, a credential replayed at another node, and a short-handed commit.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  commitmentMatches,
  newBlinding,
  reconstructSecret,
  shareCommitment,
  splitSecret,
} from '../../src/sharing/index.ts';
import { nodeCredential } from '../../src/trust/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import {
  wireCall,
  type OrderedWrite,
  type PlannedOp,
  type ResolvedRead,
  type WireAuth,
  type WireReply,
} from '../testing/client-side-wire.ts';

type Reply = WireReply;
type Ordered = OrderedWrite;
type Resolved = ResolvedRead;

const call = (url: string, method: string, path: string, auth: WireAuth, body?: unknown): Promise<Reply> =>
  wireCall(url, method, path, auth, body);

describe('client-side protocol (production mode)', () => {
  let test: TestCluster;
  let root = '';
  let writer = '';
  let other = '';
  let noRead = '';
  let clusterId = '';
  let k = 0;
  let n = 0;
  const url = (i: number) => test.urls[i] ?? '';
  const cred = (token: string, nodeId: string) => nodeCredential(token, clusterId, nodeId);

  const token = async (policies: string[]): Promise<string> => {
    const created = await call(
      url(0),
      'POST',
      '/v2/sys/tokens',
      { token: root },
      { tenant: 'acme', policies },
    );
    assert.equal(created.status, 201);
    return String(created.json.token);
  };

  /** Splits `value` for a planned op and stages every shard on its holder as `stager`; returns the replies. */
  async function stageAll(ordered: Ordered, op: PlannedOp, value: Uint8Array, stager: string) {
    const identity = { tenant: ordered.tenant, namespace: op.namespace, name: op.name, version: op.version };
    const shares = splitSecret(identity, value, n, k);
    return Promise.all(
      op.holders.map(async (holder) => {
        const share = shares[holder.index]?.y ?? new Uint8Array();
        const blinding = newBlinding();
        return call(
          holder.url,
          'POST',
          '/v2/client-side/holder/stage',
          { credential: cred(stager, holder.nodeId) },
          {
            tenant: ordered.tenant,
            partition: ordered.partition,
            minOffset: ordered.minOffset,
            shards: [
              {
                namespace: op.namespace,
                name: op.name,
                version: op.version,
                writeId: ordered.writeId,
                index: holder.index,
                share: Buffer.from(share).toString('base64'),
                blinding: Buffer.from(blinding).toString('base64'),
                commitment: shareCommitment(identity, ordered.writeId, holder.index, blinding, share),
              },
            ],
          },
        );
      }),
    );
  }

  /**
   * Prepare at node 1, have the intent endorsed by k − 1 other nodes (the client carries it itself), order it
   * at node 1 — each call with the credential for that node only, never the bearer token.
   */
  async function order(as: string, ops: unknown[]): Promise<Reply> {
    const coordinator = test.cluster.urls()[1] ?? '';
    const nodes = (await call(url(0), 'GET', '/v2/client-side/topology', {})).json.nodes as Array<{
      nodeId: string;
      url: string;
    }>;
    const me = nodes.find((node) => node.url === coordinator);
    assert.ok(me);
    const prepared = await call(
      coordinator,
      'POST',
      '/v2/client-side/writes/prepare',
      { credential: cred(as, me.nodeId) },
      { ops },
    );
    if (prepared.status !== 200) return prepared;
    const { writeId, partition, intent, endorsementsNeeded } = prepared.json as {
      writeId: string;
      partition: number;
      intent: unknown;
      endorsementsNeeded: number;
    };
    const endorsements = [];
    for (const node of nodes.filter((n) => n.nodeId !== me.nodeId).slice(0, endorsementsNeeded)) {
      const endorsed = await call(
        node.url,
        'POST',
        '/v2/client-side/endorse',
        { credential: cred(as, node.nodeId) },
        { partition, intent },
      );
      if (endorsed.status !== 200) return endorsed;
      endorsements.push(endorsed.json);
    }
    return call(
      coordinator,
      'POST',
      '/v2/client-side/writes',
      { credential: cred(as, me.nodeId) },
      { writeId, endorsements },
    );
  }

  async function readClientSide(as: string, name: string): Promise<Uint8Array> {
    const resolved = await call(url(2), 'GET', `/v2/client-side/resolve/app/${name}`, { token: as });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.json));
    const info = resolved.json as unknown as Resolved;
    const shares = [];
    for (const holder of info.holders) {
      const reply = await call(
        holder.url,
        'POST',
        '/v2/client-side/holder/shard',
        { credential: cred(as, holder.nodeId) },
        {
          tenant: info.tenant,
          namespace: info.namespace,
          name: info.name,
          version: info.version,
          writeId: info.writeId,
          partition: info.partition,
          minOffset: info.minOffset,
          purpose: 'read',
        },
      );
      assert.equal(reply.status, 200, JSON.stringify(reply.json));
      const share = new Uint8Array(Buffer.from(String(reply.json.share), 'base64'));
      const blinding = new Uint8Array(Buffer.from(String(reply.json.blinding), 'base64'));
      const identity = {
        tenant: info.tenant,
        namespace: info.namespace,
        name: info.name,
        version: info.version,
      };
      assert.ok(
        commitmentMatches(holder.commitment ?? '', identity, info.writeId, holder.index, blinding, share),
      );
      shares.push({ x: holder.index + 1, y: share });
    }
    return reconstructSecret(
      { tenant: info.tenant, namespace: info.namespace, name: info.name, version: info.version },
      shares,
      k,
    );
  }

  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
    root = await test.cluster.issueDevRootToken();
    assert.equal(
      (await call(url(0), 'POST', '/v2/sys/tenants', { token: root }, { name: 'acme' })).status,
      201,
    );
    const policy = (capabilities: string[]) => ({ rules: [{ path: 'app/*', capabilities }] });
    for (const [name, capabilities] of [
      ['rw', ['read', 'create', 'update', 'history']],
      ['wo', ['create', 'update']],
    ] as const) {
      const put = await call(
        url(0),
        'PUT',
        `/v2/sys/policies/${name}?tenant=acme`,
        { token: root },
        policy([...capabilities]),
      );
      assert.equal(put.status, 200);
    }
    writer = await token(['rw']);
    other = await token(['rw']);
    noRead = await token(['wo']);
    const topology = await call(url(0), 'GET', '/v2/client-side/topology', { token: writer });
    assert.equal(topology.status, 200);
    clusterId = String(topology.json.clusterId);
    ({ n, k } = topology.json.sharing as { n: number; k: number });
  });
  after(async () => {
    await test?.stop();
  });

  it('a client splits, stages on each holder and commits; it reads back by combining k shares itself', async () => {
    const value = new Uint8Array(randomBytes(32));
    const ordered = await order(writer, [{ op: 'create', namespace: 'app', name: 'db' }]);
    assert.equal(ordered.status, 200, JSON.stringify(ordered.json));
    const write = ordered.json as unknown as Ordered;
    const [op] = write.plan;
    assert.ok(op);
    assert.equal(op.holders.length, n);
    const staged = await stageAll(write, op, value, writer);
    assert.deepEqual(
      staged.map((reply) => reply.status),
      staged.map(() => 200),
    );
    const receipts = staged.flatMap((reply) => reply.json.receipts as unknown[]);
    const committed = await call(
      write.coordinator.url,
      'POST',
      `/v2/client-side/writes/${write.writeId}/commit`,
      { token: writer },
      { receipts },
    );
    assert.equal(committed.status, 200, JSON.stringify(committed.json));
    assert.deepEqual(committed.json.results, [{ version: 1 }]);
    // Any other node confirms it from its own view (a coordinator cannot claim a commit it never appended);
    // to another caller the write does not exist.
    const status = await call(url(2), 'GET', `/v2/client-side/writes/${write.writeId}`, { token: writer });
    assert.deepEqual(status.json, { state: 'committed', results: [{ version: 1 }] });
    const foreign = await call(url(2), 'GET', `/v2/client-side/writes/${write.writeId}`, { token: other });
    assert.equal(foreign.status, 404);
    assert.deepEqual(await readClientSide(writer, 'db'), value);
    // The server-side read of the same version gives the same bytes.
    const served = await call(url(0), 'GET', '/v2/secrets/app/db', { token: writer });
    assert.equal(served.status, 200);
    assert.deepEqual(new Uint8Array(Buffer.from(String(served.json.value), 'base64')), value);
  });

  it('I-G3: a node credential authenticates at its node only, and is never forwarded for a server-side read', async () => {
    const nodes = (await call(url(0), 'GET', '/v2/client-side/topology', {})).json.nodes as Array<{
      nodeId: string;
      url: string;
    }>;
    const [first, second] = nodes;
    assert.ok(first && second);
    const own = await call(first.url, 'GET', '/v2/client-side/resolve/app/db', {
      credential: cred(writer, first.nodeId),
    });
    assert.equal(own.status, 200);
    const elsewhere = await call(second.url, 'GET', '/v2/client-side/resolve/app/db', {
      credential: cred(writer, first.nodeId),
    });
    assert.equal(elsewhere.status, 401);
    // The node could not vouch for this caller at the holders: a server-side read is refused, not forwarded.
    const served = await call(first.url, 'GET', '/v2/secrets/app/db', {
      credential: cred(writer, first.nodeId),
    });
    assert.equal(served.status, 403);
  });

  it('I-S4c: another token of the same tenant, with the same rights, cannot stage into the write', async () => {
    const ordered = (await order(writer, [{ op: 'create', namespace: 'app', name: 'hijack' }]))
      .json as unknown as Ordered;
    const [op] = ordered.plan;
    assert.ok(op);
    const replies = await stageAll(ordered, op, new Uint8Array([1, 2, 3]), other);
    for (const reply of replies)
      assert.deepEqual([reply.status, reply.json.code], [403, 'DSV_PEER_REJECTED']);
    // Nor commit or abort it: to anyone but its stager the write does not exist.
    const commit = await call(
      url(1),
      'POST',
      `/v2/client-side/writes/${ordered.writeId}/commit`,
      { token: other },
      {
        receipts: [],
      },
    );
    assert.equal(commit.status, 404);
    const abort = await call(url(1), 'POST', `/v2/client-side/writes/${ordered.writeId}/abort`, {
      token: other,
    });
    assert.equal(abort.status, 404);
    assert.equal(
      (await call(url(1), 'POST', `/v2/client-side/writes/${ordered.writeId}/abort`, { token: writer }))
        .status,
      204,
    );
  });

  it('I-G3: a holder credential replayed at another node is refused; a bearer token is not a holder credential', async () => {
    const ordered = (await order(writer, [{ op: 'create', namespace: 'app', name: 'replay' }]))
      .json as unknown as Ordered;
    const [op] = ordered.plan;
    assert.ok(op);
    const [first, second] = op.holders;
    assert.ok(first && second);
    const body = {
      tenant: ordered.tenant,
      partition: ordered.partition,
      minOffset: ordered.minOffset,
      shards: [
        {
          namespace: 'app',
          name: 'replay',
          version: 1,
          writeId: ordered.writeId,
          index: second.index,
          share: 'AAAA',
          blinding: Buffer.alloc(32).toString('base64'),
          commitment: 'x',
        },
      ],
    };
    const replayed = await call(
      second.url,
      'POST',
      '/v2/client-side/holder/stage',
      { credential: cred(writer, first.nodeId) },
      body,
    );
    assert.equal(replayed.status, 401); // no credential of this node: refused before the holder is asked
    const bearer = await call(second.url, 'POST', '/v2/client-side/holder/stage', { token: writer }, body);
    assert.equal(bearer.status, 400); // the credential header is required; a bearer token is never accepted here
    await call(ordered.coordinator.url, 'POST', `/v2/client-side/writes/${ordered.writeId}/abort`, {
      token: writer,
    });
  });

  it('I-S5: a token that may write but not read gets no shard from any holder', async () => {
    const resolved = await call(url(0), 'GET', '/v2/client-side/resolve/app/db', { token: noRead });
    assert.equal(resolved.status, 403);
    const info = (await call(url(0), 'GET', '/v2/client-side/resolve/app/db', { token: writer }))
      .json as unknown as Resolved;
    for (const holder of info.holders) {
      const reply = await call(
        holder.url,
        'POST',
        '/v2/client-side/holder/shard',
        { credential: cred(noRead, holder.nodeId) },
        {
          tenant: info.tenant,
          namespace: info.namespace,
          name: info.name,
          version: info.version,
          writeId: info.writeId,
          partition: info.partition,
          minOffset: info.minOffset,
          purpose: 'read',
        },
      );
      assert.deepEqual([reply.status, reply.json.code], [403, 'DSV_PEER_REJECTED']);
    }
  });

  it('I-S5: to a client, a compare is a read: a token that may update but not read gets no shard to compare', async () => {
    const info = (await call(url(0), 'GET', '/v2/client-side/resolve/app/db', { token: writer }))
      .json as unknown as Resolved;
    for (const holder of info.holders) {
      const reply = await call(
        holder.url,
        'POST',
        '/v2/client-side/holder/shard',
        { credential: cred(noRead, holder.nodeId) },
        {
          tenant: info.tenant,
          namespace: info.namespace,
          name: info.name,
          version: info.version,
          writeId: info.writeId,
          partition: info.partition,
          minOffset: info.minOffset,
          purpose: 'compare',
        },
      );
      assert.deepEqual([reply.status, reply.json.code], [403, 'DSV_PEER_REJECTED']);
    }
  });

  it('a commit with fewer than W receipts aborts the write: 503, nothing written', async () => {
    const ordered = (await order(writer, [{ op: 'create', namespace: 'app', name: 'short' }]))
      .json as unknown as Ordered;
    const [op] = ordered.plan;
    assert.ok(op);
    const staged = await stageAll(ordered, op, new Uint8Array([9]), writer);
    const receipts = (staged[0]?.json.receipts as unknown[]) ?? [];
    const commit = await call(
      ordered.coordinator.url,
      'POST',
      `/v2/client-side/writes/${ordered.writeId}/commit`,
      { token: writer },
      { receipts },
    );
    assert.deepEqual([commit.status, commit.json.code], [503, 'DSV_WRITE_QUORUM_FAILED']);
    assert.equal((await call(url(0), 'GET', '/v2/secrets/app/short', { token: writer })).status, 404);
  });

  it('prepared writes are bounded: at most maxEnvSecrets names each, and one token holds a bounded share', async () => {
    const prepare = (as: string, ops: unknown[]) =>
      call(url(1), 'POST', '/v2/client-side/writes/prepare', { credential: cred(as, 'node-1') }, { ops });
    const many = (count: number, length: number, tag: string) =>
      Array.from({ length: count }, (_, i) => ({
        op: 'create',
        namespace: 'app',
        name: `${tag}-${i}-`.padEnd(length, 'x'),
      }));
    const tooMany = await prepare(writer, many(501, 8, 'over'));
    assert.deepEqual([tooMany.status, tooMany.json.code], [413, 'DSV_ENV_BUDGET_EXCEEDED']);
    // About 1 MB of long names each: one token is refused (retriable) well before the process's budget,
    // while another token of the tenant still prepares.
    const flooder = await token(['rw']);
    const replies: Array<{ status: number; code: unknown }> = [];
    for (let i = 0; i < 12 && replies.at(-1)?.status !== 429; i++) {
      const reply = await prepare(flooder, many(500, 1000, `flood${i}`));
      replies.push({ status: reply.status, code: reply.json.code });
    }
    const statuses = replies.map((reply) => reply.status).join(' ');
    assert.deepEqual(replies.at(-1), { status: 429, code: 'DSV_QUOTA_RATE' }, statuses);
    assert.ok(replies.length >= 4 && replies.slice(0, -1).every((r) => r.status === 200), statuses);
    assert.equal((await prepare(writer, many(1, 8, 'still'))).status, 200);
  });

  it('the log decides conflicts as for server-side writes: a second create is 409 DSV_SECRET_EXISTS', async () => {
    const again = await order(writer, [{ op: 'create', namespace: 'app', name: 'db' }]);
    assert.deepEqual([again.status, again.json.code], [409, 'DSV_SECRET_EXISTS']);
    const stale = await order(writer, [{ op: 'update', namespace: 'app', name: 'db', expectedVersion: 7 }]);
    assert.deepEqual([stale.status, stale.json.code], [412, 'DSV_PRECONDITION_FAILED']);
  });
});
