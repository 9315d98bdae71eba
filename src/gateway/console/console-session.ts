// The console's session API and the hook that lets a session cookie stand in for a bearer token (issue 12).
//
// - POST /ui/api/session {token}: authenticates the token exactly as a bearer request would, then opens a
//   server-side session (SessionStore) and sets only its random id as an HttpOnly, SameSite=Strict cookie.
// - GET /ui/api/session: who the session is, and the rules its token's policies grant (for what the screens
//   offer; every API call is still authorised by the node).
// - DELETE /ui/api/session: signs out (the session is forgotten and the cookie cleared).
// - The onRequest hook: a request without an Authorization header, carrying a live session cookie and passing
//   the CSRF checks (csrf.ts), gets `Authorization: Bearer <the session's token>` before any route runs, so
//   it is authenticated and authorised by the same code as every bearer request. A cookie without those
//   checks is ignored (the request stays unauthenticated).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';
import { looksLikeToken, type PolicyRule } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { Caller } from '../tenancy.ts';
import type { V2Context } from '../v2/v2-context.ts';
import { isLoopbackHost, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.ts';
import { consoleHeaders } from './console-static.ts';
import { csrfRefusal } from './csrf.ts';
import { SessionStore } from './session-store.ts';

export interface ConsoleSessionOptions {
  readonly context: V2Context;
  readonly sessions?: SessionStore;
}

const cookieOf = (request: FastifyRequest) => readCookie(request.headers.cookie, SESSION_COOKIE);

/** Secure cookies unless the browser reached the node on loopback (plain HTTP dev clusters). */
const secureFor = (request: FastifyRequest) => request.protocol === 'https' || !isLoopbackHost(request.host);

function refuse(request: FastifyRequest): void {
  const why = csrfRefusal({ protocol: request.protocol, host: request.host, headers: request.headers });
  if (why !== undefined) throw new DsvError('DSV_AUTH_FORBIDDEN', `Console request refused: ${why}`);
}

/** What the caller's token grants, for the screens: root and tenant admins see everything they may do. */
function describe(context: V2Context, caller: Caller) {
  const control = context.coordinator.control;
  const record = control?.tokenByAccessor(caller.accessor);
  const rules: PolicyRule[] = caller.root
    ? []
    : (record?.policies ?? []).flatMap((name) => control?.policy(caller.tenant, name) ?? []);
  return {
    tenant: caller.tenant,
    accessor: caller.accessor,
    root: caller.root,
    admin: caller.root || caller.can('admin', '*', '*'),
    expiresAt:
      record?.expiresAt === undefined || record.expiresAt === null
        ? null
        : new Date(record.expiresAt).toISOString(),
    rules: rules.map((rule) => ({
      namespace: rule.namespace,
      name: rule.name,
      capabilities: [...rule.capabilities],
    })),
  };
}

export function registerConsoleSession(app: FastifyInstance, options: ConsoleSessionOptions): SessionStore {
  const sessions = options.sessions ?? new SessionStore();
  const { context } = options;

  app.addHook('onRequest', async (request) => {
    if (request.headers.authorization !== undefined) return; // bearer calls are unaffected
    const id = cookieOf(request);
    if (id === undefined) return;
    if (csrfRefusal({ protocol: request.protocol, host: request.host, headers: request.headers })) return;
    const token = sessions.resolve(id);
    if (token !== undefined) request.raw.headers.authorization = `Bearer ${token}`;
  });

  const clear = (request: FastifyRequest, reply: FastifyReply) =>
    reply.header('set-cookie', sessionCookie(null, { secure: secureFor(request) }));

  app.post<{ Body: { token?: unknown } | undefined }>('/ui/api/session', async (request, reply) => {
    noteAuditSubject(request, { operation: 'console.signin', carriesSecret: false });
    consoleHeaders(reply);
    refuse(request);
    const token = request.body?.token;
    if (typeof token !== 'string' || !looksLikeToken(token.trim()))
      throw new DsvError('DSV_AUTH_REQUIRED', 'That is not a DSV token');
    // Authenticated exactly as a bearer request (and audited under the token's accessor).
    request.raw.headers.authorization = `Bearer ${token.trim()}`;
    const caller = await context.authenticator.authenticate(request);
    const record = context.coordinator.control?.tokenByAccessor(caller.accessor);
    sessions.delete(cookieOf(request)); // a new sign-in never keeps (or reuses) an earlier session id
    const session = sessions.create(token.trim(), record?.expiresAt ?? null);
    const maxAgeSeconds = (session.expiresAt - Date.now()) / 1000;
    return reply
      .header('set-cookie', sessionCookie(session.id, { secure: secureFor(request), maxAgeSeconds }))
      .send(describe(context, caller));
  });

  app.get('/ui/api/session', async (request, reply) => {
    noteAuditSubject(request, { operation: 'console.session', carriesSecret: false });
    consoleHeaders(reply);
    refuse(request);
    if (request.headers.authorization === undefined) {
      clear(request, reply);
      throw new DsvError('DSV_AUTH_REQUIRED', 'Not signed in');
    }
    return describe(context, await context.authenticator.authenticate(request));
  });

  app.delete('/ui/api/session', async (request, reply) => {
    noteAuditSubject(request, { operation: 'console.signout', carriesSecret: false });
    consoleHeaders(reply);
    refuse(request);
    sessions.delete(cookieOf(request));
    return clear(request, reply).status(204).send();
  });
  return sessions;
}
