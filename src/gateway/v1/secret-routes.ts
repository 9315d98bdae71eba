// v1 secret routes (API-V1.md): create, update, read, read all versions, delete — same wire, fixed behaviour.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';
import { requireCapability } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import { ALL_METHODS, SECRETS_PATH, type V1Context } from './v1-context.ts';
import { parseVersion, requireName, requireObjectBody, requireUser, requireValue } from './v1-validation.ts';

const decoder = new TextDecoder();

export function requireJson(request: FastifyRequest): void {
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/.test(type)) {
    throw new DsvError('DSV_MEDIA_TYPE_UNSUPPORTED', `Content type '${type || 'none'}' not supported`);
  }
}

export function methodNotAllowed(request: FastifyRequest): never {
  throw new DsvError('DSV_METHOD_NOT_ALLOWED', `Request method '${request.method}' is not supported`);
}

const text = (reply: FastifyReply, status: number, body: string) =>
  reply.status(status).type('text/plain; charset=utf-8').send(body);

/** Splits the raw (still percent-encoded) path, so an encoded `/` in a name never acts as a separator. */
function parseSecretPath(rawUrl: string): { name: string; all: boolean } | undefined {
  const path = rawUrl.split('?')[0] ?? '';
  const segments = path.slice(SECRETS_PATH.length + 1).split('/');
  if (segments.length > 2 || (segments.length === 2 && segments[1] !== 'all') || !segments[0])
    return undefined;
  try {
    return { name: decodeURIComponent(segments[0]), all: segments.length === 2 };
  } catch {
    throw new DsvError('DSV_INPUT_INVALID', 'Secret key is not validly percent-encoded');
  }
}

/**
 * API-V1 lists one 409 body for POST. A create that loses to another pending create gets it too, with the
 * precise code (DSV_WRITE_CONFLICT) in the header: the original's scripts grep the message.
 */
export function asV1CreateConflict(error: unknown): unknown {
  if (error instanceof DsvError && error.code === 'DSV_WRITE_CONFLICT') {
    return new DsvError('DSV_WRITE_CONFLICT', 'Secret already exists', { cause: error });
  }
  return error;
}

export function registerSecretRoutes(app: FastifyInstance, context: V1Context): void {
  const { coordinator, limits } = context;

  app.route({
    method: [...ALL_METHODS],
    url: SECRETS_PATH,
    handler: async (request, reply) => {
      const caller = await context.authenticator.authenticate(request);
      const { tenant } = caller;
      if (request.method === 'POST') {
        requireJson(request);
        const body = requireObjectBody(request.body);
        const namespace = requireUser(body.user, limits);
        const name = requireName(body.secretName, limits);
        const value = requireValue(body.secretValue, limits);
        noteAuditSubject(request, { namespace, name });
        requireCapability(caller, 'create', namespace, name);
        const result = await coordinator
          .write(tenant, { op: 'create', namespace, name, value }, { caller })
          .catch((error: unknown) => {
            throw asV1CreateConflict(error);
          });
        return text(reply, 201, `Secret created (version: ${result.version})`);
      }
      if (request.method === 'PUT') {
        requireJson(request);
        const body = requireObjectBody(request.body);
        const namespace = requireUser(body.user, limits);
        const name = requireName(body.secretCurrentName, limits);
        const value = requireValue(body.secretUpdatedValue, limits);
        noteAuditSubject(request, { namespace, name });
        requireCapability(caller, 'update', namespace, name);
        const result = await coordinator.write(tenant, { op: 'update', namespace, name, value }, { caller });
        return text(reply, 200, `Secret updated (version: ${result.version})`);
      }
      if (request.method === 'DELETE') {
        requireJson(request);
        const body = requireObjectBody(request.body);
        const namespace = requireUser(body.user, limits);
        const name = requireName(body.deleteName, limits);
        noteAuditSubject(request, { namespace, name });
        requireCapability(caller, 'delete', namespace, name);
        await coordinator.write(tenant, { op: 'delete', namespace, name }, { caller });
        return reply.status(204).send();
      }
      return methodNotAllowed(request);
    },
  });

  app.route({
    method: [...ALL_METHODS],
    url: `${SECRETS_PATH}/*`,
    handler: async (request, reply) => {
      const caller = await context.authenticator.authenticate(request);
      const { tenant } = caller;
      const target = parseSecretPath(request.raw.url ?? '');
      if (!target) throw new DsvError('DSV_ROUTE_NOT_FOUND');
      if (request.method !== 'GET') return methodNotAllowed(request);
      const query = request.query as Record<string, unknown>;
      const namespace = requireUser(query.user, limits);
      const name = requireName(target.name, limits);
      const version = target.all ? undefined : parseVersion(query.version);
      noteAuditSubject(request, { namespace, name, ...(target.all ? { operation: 'secret.read-all' } : {}) });
      requireCapability(caller, 'read', namespace, name);
      // Any version but the latest is history: `?version=N` needs it as much as `/all` does.
      if (target.all || version !== undefined) requireCapability(caller, 'history', namespace, name);
      const key = { tenant, namespace, name };
      if (target.all) {
        // Bounded work per request: count the versions (metadata only) before any shard is fetched.
        const maxVersions = limits.maxAllVersions ?? Infinity;
        const count = (await coordinator.history(key)).length;
        if (count > maxVersions) {
          throw new DsvError(
            'DSV_TOO_MANY_VERSIONS',
            `The secret has ${count} versions; /all returns at most ${maxVersions} (read them with ?version=N)`,
          );
        }
        const versions = await coordinator.readAll(key, caller);
        const body: Record<string, string> = {};
        for (const entry of versions) body[String(entry.version)] = decoder.decode(entry.value);
        return reply.status(200).type('application/json; charset=utf-8').send(JSON.stringify(body));
      }
      const found = await coordinator.read(
        key,
        version === undefined ? { latest: true } : { version },
        caller,
      );
      return text(reply, 200, decoder.decode(found.value));
    },
  });
}
