// closeDraining: in-flight requests are answered; one that never ends is cut after the drain bound.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { closeDraining, quietServerOptions } from './fastify-options.ts';

async function server(handlerMs: number) {
  const app = Fastify(quietServerOptions(pino({ level: 'silent' }), 1024)) as unknown as FastifyInstance;
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, handlerMs));
    return { done: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

describe('closeDraining', () => {
  it('answers a request in flight before the server closes', async () => {
    const { app, url } = await server(400);
    const request = fetch(`${url}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = closeDraining(app, 5_000);
    const response = await request;
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { done: true });
    await closed;
    await assert.rejects(fetch(`${url}/slow`)); // no new connections
  });

  it('cuts a request still running after the drain bound', async () => {
    const { app, url } = await server(2_000);
    const request = fetch(`${url}/slow`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await closeDraining(app, 300);
    assert.ok(Date.now() - started < 1_500, `closed after ${Date.now() - started} ms`);
    assert.equal(await request, 'cut');
  });
});
