// registerAudit on a tiny Fastify app: every response has its record before it is sent; with the trail
// failing, no response carrying a secret value leaves (I-A1); no value, name or token reaches trail or logs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { pino } from 'pino';
import {
  AuditPathHasher,
  JsonlAuditSink,
  noteAuditSubject,
  registerAudit,
  verifyAuditTrail,
  type AuditRecord,
  type AuditSink,
} from '../../src/audit/index.ts';
import { DsvError } from '../../src/errors/index.ts';
import { quietServerOptions } from '../../src/platform/fastify-options.ts';
import { firstSegment, tempAuditDir } from '../../src/audit/testing/audit-fixtures.ts';

const TOKEN = 'dsvt_SECRETTOKEN0123456789';
const SECRET_MARK = 'TOPSECRETVALUE';
const valueOf = (name: string) => `${SECRET_MARK}-${name}`;

/** Stand-in for the tokens context: the accessor is derived from the token, never the token itself. */
function identify(request: FastifyRequest) {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (token === undefined) return undefined;
  return { tenant: 'acme', accessor: `acc-${createHash('sha256').update(token).digest('hex').slice(0, 16)}` };
}

function buildApp(sink: AuditSink, logLines: string[], appendTimeoutMs = 5_000): FastifyInstance {
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  // The project's server options (no per-request log lines: URLs carry names), as a node runs them.
  const app = Fastify(quietServerOptions(logger, 1 << 20)) as unknown as FastifyInstance;
  registerAudit(app, { sink, hasher: new AuditPathHasher(Buffer.alloc(32, 9)), identify, appendTimeoutMs });
  app.setErrorHandler(async (error, _request, reply) => {
    const status = error instanceof DsvError ? error.status : 500;
    return reply
      .status(status)
      .send({ message: error instanceof DsvError ? error.message : 'Internal error' });
  });
  const requireCaller = (request: FastifyRequest) => {
    if (identify(request) === undefined) throw new DsvError('DSV_AUTH_REQUIRED');
  };
  app.get<{ Params: { name: string } }>('/secrets/:name', async (request) => {
    noteAuditSubject(request, {
      operation: 'secret.read',
      namespace: 'prod',
      name: request.params.name,
      carriesSecret: true,
    });
    requireCaller(request);
    if (request.params.name === 'missing') throw new DsvError('DSV_SECRET_NOT_FOUND');
    return valueOf(request.params.name);
  });
  app.post('/secrets', async (request, reply) => {
    noteAuditSubject(request, {
      operation: 'secret.create',
      namespace: 'prod',
      name: 'new',
      carriesSecret: false,
    });
    requireCaller(request);
    return reply.status(201).send('created');
  });
  app.get('/health', async (request) => {
    noteAuditSubject(request, { operation: 'health', carriesSecret: false });
    return 'OK';
  });
  app.get('/stream-secret', async (request, reply) => {
    noteAuditSubject(request, { operation: 'secret.read', carriesSecret: true });
    return reply.type('text/plain').send(Readable.from([valueOf('streamed')]));
  });
  app.get('/unclassified', async () => valueOf('unclassified'));
  return app;
}

/**
 * The trail's complete lines. Read while the sink writes a batch, the file may end in part of a line (a
 * reader of a regular file sees a write land page by page), so only what ends in a newline is a record.
 */
const records = (dir: string): AuditRecord[] => {
  const text = readFileSync(firstSegment(dir), 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord);
};

describe('registerAudit (Fastify onSend)', () => {
  let temp: Awaited<ReturnType<typeof tempAuditDir>>;
  before(async () => (temp = await tempAuditDir()));
  after(async () => temp.dispose());

  it('I-A1: in a concurrent run every 2xx has exactly one record, durable before the response arrived', async () => {
    const sink = await JsonlAuditSink.open({ dir: temp.dir, node: 'node-0' });
    const logLines: string[] = [];
    const app = buildApp(sink, logLines);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const calls = Array.from({ length: 300 }, (_, i) => {
      const kind = i % 6;
      if (kind === 0) return { url: `/secrets/name-${i}`, headers: auth };
      if (kind === 1) return { url: '/secrets', method: 'POST', headers: auth };
      if (kind === 2) return { url: '/health' };
      if (kind === 3) return { url: '/secrets/missing', headers: auth };
      if (kind === 4) return { url: `/secrets/name-${i}` }; // no token: 401
      return { url: '/no-such-route' };
    });
    // Closed whatever happens: a server left listening keeps the test file's process alive after its tests.
    const responses = await Promise.all(
      calls.map(async (call) => {
        const response = await fetch(base + call.url, {
          method: call.method ?? 'GET',
          headers: call.headers ?? {},
        });
        const requestId = response.headers.get('x-request-id') ?? '';
        // Read the trail the moment the response is here: its record must already be on disk.
        const onDisk = records(temp.dir).filter((r) => r.requestId === requestId);
        return { status: response.status, requestId, body: await response.text(), onDisk };
      }),
    ).finally(async () => {
      await app.close();
      await sink.close();
    });
    const trail = records(temp.dir);
    for (const response of responses) {
      assert.equal(response.onDisk.length, 1, `record of ${response.requestId} before its response`);
      assert.equal(response.onDisk[0]?.status, response.status);
    }
    assert.equal(trail.length, 300, 'one record per request, no more');
    const statuses = new Set(responses.map((r) => r.status));
    assert.deepEqual([...statuses].sort(), [200, 201, 401, 404]);
    const reads = trail.filter((r) => r.operation === 'secret.read' && r.status === 200);
    assert.equal(reads.length, 50);
    assert.ok(
      reads.every((r) => r.tenant === 'acme' && r.accessor?.startsWith('acc-') && r.pathHmac !== null),
    );
    assert.ok(
      trail.filter((r) => r.status === 401).every((r) => r.tenant === null && r.outcome === 'denied'),
    );
    assert.equal((await verifyAuditTrail(temp.dir)).firstBrokenLink, undefined);
    // I-A3: nothing secret in the trail or the logs.
    const everything = readFileSync(firstSegment(temp.dir), 'utf8') + logLines.join('');
    assert.ok(
      !readFileSync(firstSegment(temp.dir), 'utf8').includes('name-'),
      'no secret names in the trail',
    );
    for (const needle of [TOKEN, SECRET_MARK, 'name-0', 'prod'])
      assert.ok(!everything.includes(needle), needle);
  });

  for (const [label, makeSink] of [
    [
      'a closed trail',
      async () => {
        const sink = await JsonlAuditSink.open({ dir: temp.dir, node: 'node-0' });
        await sink.close();
        return sink;
      },
    ],
    [
      'a sink that throws',
      async () => ({
        append: () => {
          throw new Error('disk on fire');
        },
        close: async () => undefined,
      }),
    ],
    [
      'a sink that never answers',
      async () => ({
        append: () => new Promise<never>(() => undefined),
        close: async () => undefined,
      }),
    ],
  ] as Array<[string, () => Promise<AuditSink>]>) {
    it(`I-A1: with ${label}, no response carries a secret value; other responses still answer`, async () => {
      const logLines: string[] = [];
      const app = buildApp(await makeSink(), logLines, 100);
      const auth = { authorization: `Bearer ${TOKEN}` };
      for (const url of ['/secrets/db', '/stream-secret', '/unclassified']) {
        const response = await app.inject({ url, headers: auth });
        assert.equal(response.statusCode, 503, url);
        assert.equal(response.headers['x-dsv-error-code'], 'DSV_AUDIT_UNAVAILABLE');
        assert.equal(response.headers['cache-control'], 'no-store');
        assert.ok(!response.body.includes(SECRET_MARK), `${url} leaked: ${response.body}`);
        assert.deepEqual(Object.keys(response.json<object>()), ['message'], 'a v1-style error body');
      }
      assert.equal((await app.inject({ url: '/secrets', method: 'POST', headers: auth })).statusCode, 201);
      assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
      assert.equal((await app.inject({ url: '/secrets/missing', headers: auth })).statusCode, 404);
      await app.close();
      const logs = logLines.join('');
      assert.match(logs, /audit record not written/);
      assert.match(logs, /DSV_AUDIT_UNAVAILABLE/);
      for (const needle of [TOKEN, SECRET_MARK, 'disk on fire']) assert.ok(!logs.includes(needle), needle);
    });
  }
});
