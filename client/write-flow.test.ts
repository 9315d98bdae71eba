// The write flow against a scripted cluster (no server): a prepared write the coordinator lost (409
// DSV_WRITE_NOT_PREPARED) is prepared once more; the coordinator's commit is confirmed at one other pinned node
// and a contradiction fails the write (and aborts it); no call goes to a URL the pin does not hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DsvClientError } from './index.ts';
import { DsvClient, type ClusterTopology, type FetchLike } from './index.ts';

const pin: ClusterTopology = {
  clusterId: 'c1',
  sharing: { n: 3, k: 2, w: 2 },
  nodes: [0, 1, 2].map((i) => ({ nodeId: `node-${i}`, url: `http://vault-${i}.test` })),
};
const problem = (status: number, code: string) =>
  Response.json({ code, detail: code }, { status, headers: { 'content-type': 'application/problem+json' } });

interface Script {
  /** Order attempts answered 409 DSV_WRITE_NOT_PREPARED before one succeeds. */
  readonly lost: number;
  /** What another node tells of the write. */
  readonly status: unknown;
}

/** A cluster that answers one delete op; every request, as "node-i METHOD path". */
function cluster(script: Script): { fetch: FetchLike; seen: string[] } {
  const seen: string[] = [];
  let prepared = 0;
  let lost = script.lost;
  const fetchImpl: FetchLike = async (input, init) => {
    const url = new URL(String(input));
    const node = pin.nodes.find((member) => new URL(member.url).origin === url.origin)?.nodeId ?? url.origin;
    const method = init?.method ?? 'GET';
    seen.push(`${node} ${method} ${url.pathname}`);
    const writeId = `w${prepared}`;
    switch (`${method} ${url.pathname}`) {
      case 'POST /v2/client-side/writes/prepare':
        prepared++;
        return Response.json({
          writeId: `w${prepared}`,
          partition: 0,
          endorsementsNeeded: 1,
          intent: {
            type: 'intent',
            writeId: `w${prepared}`,
            coordinator: node,
            ops: [{ op: 'delete', namespace: 'app', name: 'db' }],
          },
        });
      case 'POST /v2/client-side/endorse':
        return Response.json({ node, sig: 'sig' });
      case 'POST /v2/client-side/writes':
        if (lost-- > 0) return problem(409, 'DSV_WRITE_NOT_PREPARED');
        return Response.json({
          writeId,
          tenant: 'acme',
          partition: 0,
          minOffset: 1,
          coordinator: { nodeId: node, url: 'http://elsewhere.test' },
          plan: [{ op: 'delete', namespace: 'app', name: 'db', version: 3 }],
        });
      case `POST /v2/client-side/writes/${writeId}/commit`:
        return Response.json({ results: [{ version: 3 }] });
      case `GET /v2/client-side/writes/${writeId}`:
        return Response.json(script.status);
      case `POST /v2/client-side/writes/${writeId}/abort`:
        return new Response(null, { status: 204 });
      default:
        return problem(404, 'DSV_NOT_FOUND');
    }
  };
  return { fetch: fetchImpl, seen };
}

const clientOn = (fetchImpl: FetchLike) =>
  new DsvClient({ url: pin.nodes[0]!.url, token: `dsv.${'A'.repeat(43)}`, ...pin, fetch: fetchImpl });

describe('client-side write flow', () => {
  it('409 DSV_WRITE_NOT_PREPARED: prepared and ordered once more; the commit confirmed at one other node', async () => {
    const { fetch: fetchImpl, seen } = cluster({
      lost: 1,
      status: { state: 'committed', results: [{ version: 3 }] },
    });
    await clientOn(fetchImpl).delete('app', 'db');
    assert.equal(seen.filter((line) => line.endsWith('/writes/prepare')).length, 2);
    const confirmations = seen.filter((line) => line.includes('GET /v2/client-side/writes/'));
    assert.equal(confirmations.length, 1);
    assert.doesNotMatch(confirmations[0] ?? '', /^node-0 /); // not the coordinator
    assert.ok(
      seen.every((line) => line.startsWith('node-')),
      'only pinned URLs were called',
    );
  });

  it('lost twice: the second 409 is the answer, retriable', async () => {
    const { fetch: fetchImpl, seen } = cluster({ lost: 2, status: {} });
    await assert.rejects(clientOn(fetchImpl).delete('app', 'db'), (error: DsvClientError) => {
      assert.equal(error.code, 'DSV_WRITE_NOT_PREPARED');
      assert.equal(error.retriable, true);
      return true;
    });
    assert.equal(seen.filter((line) => line.endsWith('/writes/prepare')).length, 2);
  });

  it('another node contradicting the coordinator fails the write and aborts it', async () => {
    const { fetch: fetchImpl, seen } = cluster({ lost: 0, status: { state: 'pending' } });
    await assert.rejects(clientOn(fetchImpl).delete('app', 'db'), { code: 'DSV_INTEGRITY_FAILED' });
    assert.ok(seen.some((line) => /^node-0 POST \/v2\/client-side\/writes\/w1\/abort$/.test(line)));
  });
});
