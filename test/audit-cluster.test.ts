// The audit trail on a real cluster (I-A1, DESIGN §3 audit): every 2xx of a concurrent run has its record on
// the node that answered; no value or token is in any trail or log; with the sink failing, no secret leaves.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAuditTrail, type AuditSink } from '../src/audit/index.ts';
import { DsvError } from '../src/errors/index.ts';
import { startTestCluster, type TestCluster } from './support/dev-cluster.ts';

interface Answer {
  readonly node: number;
  readonly status: number;
  readonly body: string;
  readonly requestId: string | null;
}

async function call(
  base: string,
  node: number,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    node,
    status: response.status,
    body: await response.text(),
    requestId: response.headers.get('x-request-id'),
  };
}

const trailText = (dataDir: string, node: number) => {
  const dir = join(dataDir, `node-${node}`, 'audit');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.jsonl'))
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('');
};

describe('audit trail on a cluster', () => {
  let test: TestCluster;
  let root = '';
  const logs: string[] = [];
  let failing = false;

  before(async () => {
    test = await startTestCluster({
      nodes: 3,
      devMode: false,
      logLevel: 'debug',
      logDestination: { write: (text: string) => logs.push(text) },
      wrapAuditSink: (sink: AuditSink): AuditSink => ({
        append: async (input) => {
          if (failing) throw new DsvError('DSV_AUDIT_UNAVAILABLE', 'audit disk failing (test)');
          return sink.append(input);
        },
        close: () => sink.close(),
      }),
    });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  it('I-A1: every 2xx of a concurrent run has its record on the node that answered; chains verify', async () => {
    const values = Array.from({ length: 40 }, () => randomBytes(16).toString('hex'));
    const answers: Answer[] = [];
    await Promise.all(
      values.map(async (value, i) => {
        const node = i % 3;
        const base = test.urls[node] ?? '';
        answers.push(
          await call(base, node, 'POST', '/api/v1/secrets', root, {
            user: 'audit',
            secretName: `s${i}`,
            secretValue: value,
          }),
        );
        const reader = (i + 1) % 3;
        answers.push(
          await call(test.urls[reader] ?? '', reader, 'GET', `/api/v1/secrets/s${i}?user=audit`, root),
        );
        answers.push(await call(base, node, 'GET', `/api/v1/secrets/missing-${i}?user=audit`, root));
      }),
    );
    const ok = answers.filter((answer) => answer.status >= 200 && answer.status < 300);
    assert.equal(ok.length, 80);
    for (const answer of ok.filter((a) => a.body.length === 32)) assert.ok(values.includes(answer.body));
    for (const node of [0, 1, 2]) {
      const text = trailText(test.dataDir, node);
      for (const answer of answers.filter((a) => a.node === node)) {
        assert.ok(answer.requestId, 'every response carries its audit request id');
        assert.ok(text.includes(answer.requestId), `node-${node} has no record of ${answer.requestId}`);
      }
      const verified = await verifyAuditTrail(join(test.dataDir, `node-${node}`, 'audit'));
      assert.equal(verified.firstBrokenLink, undefined);
      // I-A3: no value, no token, no secret name in the trail.
      for (const value of values) assert.ok(!text.includes(value));
      assert.ok(!text.includes(root));
      assert.ok(!/"s\d+"/.test(text));
    }
    const allLogs = logs.join('');
    assert.ok(allLogs.length > 0, 'logs were captured');
    for (const value of values) assert.ok(!allLogs.includes(value), 'a value appeared in the logs');
    assert.ok(!allLogs.includes(root), 'the token appeared in the logs');
  });

  it('I-A1: with the audit sink failing, no response carrying a secret value is sent', async () => {
    const secret = randomBytes(16).toString('hex');
    assert.equal(
      (
        await call(test.urls[0] ?? '', 0, 'POST', '/api/v1/secrets', root, {
          user: 'audit',
          secretName: 'guarded',
          secretValue: secret,
        })
      ).status,
      201,
    );
    failing = true;
    try {
      for (const node of [0, 1, 2]) {
        const read = await call(
          test.urls[node] ?? '',
          node,
          'GET',
          '/api/v1/secrets/guarded?user=audit',
          root,
        );
        assert.equal(read.status, 503);
        assert.ok(!read.body.includes(secret));
        const all = await call(
          test.urls[node] ?? '',
          node,
          'GET',
          '/api/v1/secrets/guarded/all?user=audit',
          root,
        );
        assert.equal(all.status, 503);
        assert.ok(!all.body.includes(secret));
        const env = await fetch(`${test.urls[node]}/api/v1/secrets/env?user=audit`, {
          method: 'POST',
          headers: { authorization: `Bearer ${root}`, 'content-type': 'text/plain' },
          body: 'X=secret(guarded)',
        });
        assert.equal(env.status, 503);
        assert.ok(!(await env.text()).includes(secret));
      }
    } finally {
      failing = false;
    }
    const read = await call(test.urls[1] ?? '', 1, 'GET', '/api/v1/secrets/guarded?user=audit', root);
    assert.deepEqual([read.status, read.body], [200, secret]);
  });
});
