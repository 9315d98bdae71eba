// The audit trail on a real cluster (I-A1, DESIGN §3 audit): every 2xx of a concurrent run has its record on
// the node that answered; no value or token is in any trail or log; with the sink failing, no secret leaves.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAuditTrail, type AuditSink } from '../../src/audit/index.ts';
import { DsvError } from '../../src/errors/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

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
  /** Only the records of answers fail (holders still record their releases): the answer is withheld. */
  let failingAnswers = false;

  before(async () => {
    test = await startTestCluster({
      nodes: 3,
      devMode: false,
      logLevel: 'debug',
      logDestination: { write: (text: string) => logs.push(text) },
      wrapAuditSink: (sink: AuditSink): AuditSink => ({
        append: async (input) => {
          if (failing || (failingAnswers && !input.operation.startsWith('peer.')))
            throw new DsvError('DSV_AUDIT_UNAVAILABLE', 'audit disk failing (test)');
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
        // v2 refuses too (the holders cannot record a release, or the answer's own record fails), with the
        // full problem+json body every v2 error has (issue #13).
        const v2 = await fetch(`${test.urls[node]}/v2/secrets/audit/guarded`, {
          headers: { authorization: `Bearer ${root}` },
        });
        assert.equal(v2.status, 503);
        assert.match(v2.headers.get('content-type') ?? '', /^application\/problem\+json/);
        const problem = (await v2.json()) as Record<string, unknown>;
        assert.ok(['DSV_AUDIT_UNAVAILABLE', 'DSV_INSUFFICIENT_SHARDS'].includes(String(problem.code)));
        assert.equal(problem.status, 503);
        assert.equal(typeof problem.title, 'string');
        assert.equal(typeof problem.instance, 'string');
        assert.ok(!JSON.stringify(problem).includes(secret));
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

  it('I-A1: a v2 answer whose own record fails is withheld as the same problem+json every v2 error has', async () => {
    const secret = randomBytes(16).toString('hex');
    const put = await fetch(`${test.urls[0]}/v2/secrets/audit/withheld`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: secret }),
    });
    assert.equal(put.status, 201);
    failingAnswers = true;
    try {
      const v2 = await fetch(`${test.urls[0]}/v2/secrets/audit/withheld`, {
        headers: { authorization: `Bearer ${root}` },
      });
      assert.equal(v2.status, 503);
      assert.match(v2.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const text = await v2.text();
      assert.ok(!text.includes(secret));
      const problem = JSON.parse(text) as Record<string, unknown>;
      assert.equal(problem.code, 'DSV_AUDIT_UNAVAILABLE');
      assert.equal(problem.status, 503);
      assert.equal(problem.type, 'https://dsv.dev/errors/DSV_AUDIT_UNAVAILABLE');
      assert.equal(typeof problem.title, 'string'); // issue #13: the withheld body lacked title and instance
      assert.equal(typeof problem.instance, 'string');
    } finally {
      failingAnswers = false;
    }
  });
});
