// The session API and the cookie-to-bearer hook on a bare Fastify app with a fake authenticator: the
// token is checked like a bearer token, only a session id reaches the browser, cookie requests need the
// CSRF checks, bearer requests are untouched, sign-out forgets the session.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { DsvError } from '../../errors/index.ts';
import type { Caller } from '../tenancy.ts';
import type { V2Context } from '../v2/v2-context.ts';
import { registerConsoleSession } from './console-session.ts';
import { SessionStore } from './session-store.ts';

const GOOD = 'dsv.' + 'G'.repeat(43);
const OTHER = 'dsv.' + 'O'.repeat(43);

async function app() {
  const seen: Array<string | undefined> = [];
  const context = {
    authenticator: {
      authenticate: async (request: { headers: Record<string, unknown> }): Promise<Caller> => {
        const header = request.headers.authorization as string | undefined;
        seen.push(header);
        if (header !== `Bearer ${GOOD}` && header !== `Bearer ${OTHER}`)
          throw new DsvError('DSV_AUTH_REQUIRED', 'Invalid, expired or revoked token');
        return {
          tenant: 'default',
          accessor: header.includes('G') ? 'acc-good' : 'acc-other',
          root: true,
          can: () => true,
        };
      },
    },
    coordinator: { context: { control: undefined } },
    limits: {},
  } as unknown as V2Context;
  const server = Fastify();
  server.setErrorHandler(async (error: DsvError, _request, reply) =>
    reply.status(error.status ?? 500).send({ code: error.code }),
  );
  const sessions = new SessionStore();
  registerConsoleSession(server, { context, sessions });
  server.get('/probe', async (request) => ({ authorization: request.headers.authorization ?? null }));
  await server.ready();
  return { server, seen, sessions };
}

const authOf = (body: string) => (JSON.parse(body) as { authorization: string | null }).authorization;

const CONSOLE = { 'x-dsv-console': '1', host: '127.0.0.1:8080' };

describe('console session API', () => {
  it('signs in with a valid token: a session id cookie (not the token), then cookie requests act as that token', async () => {
    const { server, sessions } = await app();
    const signIn = await server.inject({
      method: 'POST',
      url: '/ui/api/session',
      headers: CONSOLE,
      payload: { token: GOOD },
    });
    assert.equal(signIn.statusCode, 200, signIn.body);
    assert.equal(signIn.headers['content-security-policy']?.toString().includes("default-src 'self'"), true);
    const cookie = String(signIn.headers['set-cookie']);
    assert.match(cookie, /^dsv_console=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.ok(!cookie.includes(GOOD) && !signIn.body.includes(GOOD));
    assert.equal(sessions.size, 1);
    const id = /dsv_console=([^;]+)/.exec(cookie)?.[1] ?? '';

    const probe = await server.inject({
      url: '/probe',
      headers: { ...CONSOLE, cookie: `dsv_console=${id}` },
    });
    assert.equal(authOf(probe.body), `Bearer ${GOOD}`);
    const who = await server.inject({
      url: '/ui/api/session',
      headers: { ...CONSOLE, cookie: `dsv_console=${id}` },
    });
    assert.equal(who.statusCode, 200);
    assert.equal((JSON.parse(who.body) as { accessor: string }).accessor, 'acc-good');

    // Without the console header, or from another origin, the cookie is ignored.
    const noHeader = await server.inject({
      url: '/probe',
      headers: { host: '127.0.0.1:8080', cookie: `dsv_console=${id}` },
    });
    assert.equal(authOf(noHeader.body), null);
    const crossOrigin = await server.inject({
      method: 'POST',
      url: '/probe',
      headers: { ...CONSOLE, origin: 'http://evil.example', cookie: `dsv_console=${id}` },
    });
    assert.equal(crossOrigin.statusCode, 404); // no POST /probe: what matters is the hook did not authenticate
    const crossProbe = await server.inject({
      url: '/probe',
      headers: { ...CONSOLE, origin: 'http://evil.example', cookie: `dsv_console=${id}` },
    });
    assert.equal(authOf(crossProbe.body), null);

    // A bearer request keeps its own token, cookie or not.
    const bearer = await server.inject({
      url: '/probe',
      headers: { ...CONSOLE, authorization: `Bearer ${OTHER}`, cookie: `dsv_console=${id}` },
    });
    assert.equal(authOf(bearer.body), `Bearer ${OTHER}`);

    // Signing in again with the cookie replaces the earlier session: one live session, a new id.
    const again = await server.inject({
      method: 'POST',
      url: '/ui/api/session',
      headers: { ...CONSOLE, cookie: `dsv_console=${id}` },
      payload: { token: GOOD },
    });
    const newId = /dsv_console=([^;]+)/.exec(String(again.headers['set-cookie']))?.[1] ?? '';
    assert.notEqual(newId, id);
    assert.equal(sessions.size, 1);
    assert.equal(
      authOf(
        (await server.inject({ url: '/probe', headers: { ...CONSOLE, cookie: `dsv_console=${id}` } })).body,
      ),
      null,
    );
    await server.inject({
      method: 'DELETE',
      url: '/ui/api/session',
      headers: { ...CONSOLE, cookie: `dsv_console=${newId}` },
    });

    // Sign-out forgets the session and clears the cookie.
    const out = await server.inject({
      method: 'DELETE',
      url: '/ui/api/session',
      headers: { ...CONSOLE, cookie: `dsv_console=${id}` },
    });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /^dsv_console=; Max-Age=0/);
    assert.equal(sessions.size, 0);
    const after = await server.inject({
      url: '/probe',
      headers: { ...CONSOLE, cookie: `dsv_console=${id}` },
    });
    assert.equal(authOf(after.body), null);
    await server.close();
  });

  it('refuses a bad token (401, no cookie) and a sign-in without the console header or from another origin (403)', async () => {
    const { server, sessions } = await app();
    const bad = await server.inject({
      method: 'POST',
      url: '/ui/api/session',
      headers: CONSOLE,
      payload: { token: 'dsv.' + 'B'.repeat(43) },
    });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.headers['set-cookie'], undefined);
    const junk = await server.inject({
      method: 'POST',
      url: '/ui/api/session',
      headers: CONSOLE,
      payload: { token: 'hello' },
    });
    assert.equal(junk.statusCode, 401);
    const noHeader = await server.inject({
      method: 'POST',
      url: '/ui/api/session',
      headers: { host: '127.0.0.1:8080' },
      payload: { token: GOOD },
    });
    assert.equal(noHeader.statusCode, 403);
    const cross = await server.inject({
      method: 'POST',
      url: '/ui/api/session',
      headers: { ...CONSOLE, origin: 'http://evil.example' },
      payload: { token: GOOD },
    });
    assert.equal(cross.statusCode, 403);
    assert.equal(sessions.size, 0);
    await server.close();
  });

  it('sets Secure on the cookie when the node is reached by a non-loopback name', async () => {
    const { server } = await app();
    const signIn = await server.inject({
      method: 'POST',
      url: '/ui/api/session',
      headers: { 'x-dsv-console': '1', host: 'vault.example:8080' },
      payload: { token: GOOD },
    });
    assert.equal(signIn.statusCode, 200);
    assert.match(String(signIn.headers['set-cookie']), /; Secure$/);
    await server.close();
  });
});
