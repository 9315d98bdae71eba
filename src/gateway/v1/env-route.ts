// v1 `.env` endpoint (API-V1.md): text/plain with ?user=, multipart (user + file) or JSON; all-or-nothing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';
import { DsvError } from '../../errors/index.ts';
import { parseEnvFile } from '../../kernel/env/index.ts';
import {
  canonicalEnvNames,
  envAuditPaths,
  refuseRepeatedEnvKeys,
  requireEnvCapability,
  transformEnv,
} from '../env-transform.ts';
import { ALL_METHODS, SECRETS_PATH, type V1Context } from './v1-context.ts';
import { methodNotAllowed } from './secret-routes.ts';
import { requireObjectBody, requireUser } from './v1-validation.ts';

const CONTENT_ALIASES = ['envFileContent', 'content', 'env', 'envFile'] as const;

interface EnvRequest {
  readonly user: unknown;
  readonly content: unknown;
}

async function readEnvRequest(request: FastifyRequest): Promise<EnvRequest> {
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  const queryUser = (request.query as Record<string, unknown>).user;
  if (type.startsWith('text/plain')) return { user: queryUser, content: request.body };
  if (/^application\/([a-z0-9.+-]*\+)?json\b/.test(type)) {
    const body = requireObjectBody(request.body);
    const alias = CONTENT_ALIASES.find((name) => body[name] !== undefined);
    return { user: body.user ?? queryUser, content: alias === undefined ? undefined : body[alias] };
  }
  if (type.startsWith('multipart/form-data')) {
    let user: unknown = queryUser;
    let content: unknown;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          const bytes = await part.toBuffer();
          if (part.fieldname === 'file') content = bytes.toString('utf8');
        } else if (part.fieldname === 'user') {
          user = part.value;
        } else if (part.fieldname === 'file') {
          content = part.value;
        }
      }
    } catch (error) {
      // A malformed multipart body (no boundary, truncated) is the client's error, not a 500 (DESIGN §11).
      if (error instanceof DsvError || (error as { statusCode?: number }).statusCode !== undefined)
        throw error;
      throw new DsvError('DSV_INPUT_INVALID', 'Malformed multipart/form-data body', { cause: error });
    }
    return { user, content };
  }
  throw new DsvError('DSV_MEDIA_TYPE_UNSUPPORTED', `Content type '${type || 'none'}' not supported`);
}

export function registerEnvRoute(app: FastifyInstance, context: V1Context): void {
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: `${SECRETS_PATH}/env`,
    handler: async (request, reply) => {
      if (request.method !== 'POST') return methodNotAllowed(request);
      const caller = await context.authenticator.authenticate(request);
      const { user, content } = await readEnvRequest(request);
      const namespace = requireUser(user, context.limits);
      // Names in NFC, as on v2 and in policies (one secret, however its name was typed).
      const operations = parseEnvFile(typeof content === 'string' ? content : undefined).map(
        canonicalEnvNames,
      );
      refuseRepeatedEnvKeys(operations);
      noteAuditSubject(request, { paths: envAuditPaths(namespace, operations) });
      for (const operation of operations) requireEnvCapability(caller, namespace, operation);
      const output = await transformEnv(
        context.coordinator,
        caller,
        namespace,
        operations,
        context.limits.maxValueBytes,
        context.limits,
      );
      return reply.status(200).type('text/plain; charset=utf-8').send(output);
    },
  });
}

export { ALL_METHODS };
