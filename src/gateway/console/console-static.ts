// The console's built assets (ui/dist, made by scripts/build-console.mjs), served at /ui/ with a strict
// Content-Security-Policy: only this origin's scripts and styles, no inline script, no framing.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';

export const CONSOLE_DIST = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every console page and asset (and of the console's own API answers). */
export function consoleHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cache-control', 'no-store');
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/** Only flat, plain file names under assets/: no traversal is possible. */
const ASSET = /^[A-Za-z0-9][A-Za-z0-9_-]*\.(js|css|svg)$/;

export function registerConsoleStatic(app: FastifyInstance, dist: string = CONSOLE_DIST): void {
  const page = async (reply: FastifyReply) => {
    try {
      const html = await readFile(join(dist, 'index.html'));
      return consoleHeaders(reply)
        .type(TYPES['.html'] ?? 'text/html')
        .send(html);
    } catch {
      return consoleHeaders(reply)
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `node scripts/build-console.mjs` (npx dsv does it for you).\n');
    }
  };
  app.get('/ui', async (request, reply) => {
    noteAuditSubject(request, { operation: 'console.page', carriesSecret: false });
    return reply.redirect('/ui/', 302);
  });
  app.get('/ui/', async (request, reply) => {
    noteAuditSubject(request, { operation: 'console.page', carriesSecret: false });
    return page(reply);
  });
  app.get<{ Params: { file: string } }>('/ui/assets/:file', async (request, reply) => {
    noteAuditSubject(request, { operation: 'console.asset', carriesSecret: false });
    const file = request.params.file;
    const type = TYPES[file.slice(file.lastIndexOf('.'))];
    if (!ASSET.test(file) || type === undefined) return reply.callNotFound();
    try {
      const body = await readFile(join(dist, 'assets', file));
      return consoleHeaders(reply).type(type).send(body);
    } catch {
      return reply.callNotFound();
    }
  });
}
