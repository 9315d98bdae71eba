// The web console (issue 12): static assets at /ui/, cookie sessions standing in for bearer tokens, CSRF.
import type { FastifyInstance } from 'fastify';
import { registerConsoleAudit, type ConsoleAuditContext } from './console-audit.ts';
import { registerConsoleSession } from './console-session.ts';
import { registerConsoleStatic } from './console-static.ts';

export { SessionStore, DEFAULT_SESSION_LIMITS, type SessionLimits } from './session-store.ts';
export { CONSOLE_CSP, CONSOLE_DIST } from './console-static.ts';
export { CONSOLE_HEADER, csrfRefusal } from './csrf.ts';
export { SESSION_COOKIE, readCookie, sessionCookie } from './cookies.ts';

/** Registers the console on a node's public server; call before any other route so its hook runs first. */
export function registerConsole(app: FastifyInstance, context: ConsoleAuditContext): void {
  registerConsoleSession(app, { context });
  registerConsoleAudit(app, context);
  registerConsoleStatic(app);
}
