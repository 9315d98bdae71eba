// POST /v2/env:transform — the `.env` transform of DESIGN §10 (same grammar as v1: src/gateway/env),
// all-or-nothing; text in → text out, JSON {content} in → JSON {content} out.
import type { FastifyInstance } from 'fastify';
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
import { canonicalPart } from './secret-target.ts';
import { authenticateV2, callerOf } from './v2-caller.ts';
import type { V2Context } from './v2-context.ts';
import { ENV_BODY, ENV_QUERY, ENV_RESPONSE, ERROR_RESPONSES } from './v2-schemas.ts';

export function registerEnvRoutes(app: FastifyInstance, context: V2Context): void {
  app.post<{ Querystring: { namespace: string }; Body: string | { content: string } }>(
    '/env::transform',
    {
      onRequest: authenticateV2(context),
      schema: {
        tags: ['env'],
        summary: 'Transform a .env file in one all-or-nothing batch: enc(…) stores, secret(…) resolves',
        querystring: ENV_QUERY,
        body: ENV_BODY,
        response: { 200: ENV_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const namespace = canonicalPart(request.query.namespace, 'namespace', context.limits);
      // The output may hold resolved values: it leaves only once its audit record is durable (I-A1).
      noteAuditSubject(request, { operation: 'env.transform', carriesSecret: true, namespace });
      const asText = typeof request.body === 'string';
      const body: unknown = request.body;
      // No body, or a body of another media type, is a bad request — never a 500 (DESIGN §11).
      const content =
        typeof body === 'string'
          ? body
          : typeof body === 'object' &&
              body !== null &&
              typeof (body as { content?: unknown }).content === 'string'
            ? (body as { content: string }).content
            : undefined;
      if (content === undefined) {
        throw new DsvError(
          'DSV_ENV_INVALID',
          '.env file content is required (text/plain, or JSON {"content": …})',
        );
      }
      const operations = parseEnvFile(content).map(canonicalEnvNames);
      refuseRepeatedEnvKeys(operations);
      noteAuditSubject(request, { paths: envAuditPaths(namespace, operations) });
      // I-G1: every line is authorised before anything is ordered; one denial fails the whole file.
      for (const operation of operations) requireEnvCapability(caller, namespace, operation);
      const output = await transformEnv(
        context.coordinator,
        caller,
        namespace,
        operations,
        context.limits.maxValueBytes,
        context.limits,
      );
      void reply.header('cache-control', 'no-store');
      if (asText) return reply.type('text/plain; charset=utf-8').send(output);
      return reply.type('application/json; charset=utf-8').send({ content: output });
    },
  );
}
