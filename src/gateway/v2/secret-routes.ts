// v2 secret routes (DESIGN §9): write with conditions, read (latest, ?version, ?asOf), versions, delete,
// list — declared with JSON schemas, from which the OpenAPI document is generated (openapi.ts).
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import { DsvError } from '../../errors/index.ts';
import {
  deleteHandler,
  listHandler,
  putHandler,
  readHandler,
  versionsHandler,
  type SecretHandler,
  type SecretRequestInput,
} from './secret-handlers.ts';
import { authenticateV2 } from './v2-caller.ts';
import type { V2Context } from './v2-context.ts';
import {
  DELETE_HEADERS,
  ERROR_RESPONSES,
  LIST_QUERY,
  LIST_RESPONSE,
  NAMESPACE_PARAMS,
  PUT_BODY,
  READ_QUERY,
  READ_RESPONSE,
  SECRET_PARAMS,
  VERSIONS_RESPONSE,
  WRITE_HEADERS,
  WRITE_RESPONSE,
} from './v2-schemas.ts';

type Shape = 'namespace' | 'secret' | 'versions';

interface SecretRoute {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly shape: Shape;
  readonly schema: FastifySchema & { readonly summary: string };
  readonly handler: SecretHandler;
}

const SECRET_URLS: Record<Shape, string> = {
  namespace: '/secrets/:namespace',
  secret: '/secrets/:namespace/:name',
  versions: '/secrets/:namespace/:name/versions',
};

const tags = ['secrets'];

const SECRET_ROUTES: readonly SecretRoute[] = [
  {
    method: 'PUT',
    shape: 'secret',
    handler: putHandler,
    schema: {
      tags,
      summary: 'Create or update a secret (If-None-Match: * creates only; If-Match: "<version>" is CAS)',
      params: SECRET_PARAMS,
      headers: WRITE_HEADERS,
      body: PUT_BODY,
      response: {
        200: { ...WRITE_RESPONSE, description: 'Updated (or unchanged); ETag: "<version>"' },
        201: { ...WRITE_RESPONSE, description: 'Created; ETag: "<version>", Location' },
        ...ERROR_RESPONSES,
      },
    },
  },
  {
    method: 'GET',
    shape: 'secret',
    handler: readHandler,
    schema: {
      tags,
      summary: 'Read a secret: the latest version, ?version=N, or ?asOf=<RFC 3339 time>',
      params: SECRET_PARAMS,
      querystring: READ_QUERY,
      response: {
        200: { ...READ_RESPONSE, description: 'The value; ETag: "<version>", Cache-Control: no-store' },
        ...ERROR_RESPONSES,
      },
    },
  },
  {
    method: 'GET',
    shape: 'versions',
    handler: versionsHandler,
    schema: {
      tags,
      summary: 'Version metadata of a secret (no values), oldest first',
      params: SECRET_PARAMS,
      response: { 200: { ...VERSIONS_RESPONSE, description: 'Every version' }, ...ERROR_RESPONSES },
    },
  },
  {
    method: 'DELETE',
    shape: 'secret',
    handler: deleteHandler,
    schema: {
      tags,
      summary: 'Delete a secret and all its versions (answers once n − k + 1 holders destroyed their shards)',
      params: SECRET_PARAMS,
      headers: DELETE_HEADERS,
      response: { 204: { type: 'null', description: 'Deleted' }, ...ERROR_RESPONSES },
    },
  },
  {
    method: 'GET',
    shape: 'namespace',
    handler: listHandler,
    schema: {
      tags,
      summary: 'List the names in a namespace that the caller may list, ascending, paginated',
      params: NAMESPACE_PARAMS,
      querystring: LIST_QUERY,
      response: { 200: { ...LIST_RESPONSE, description: 'One page of names' }, ...ERROR_RESPONSES },
    },
  },
];

export function registerSecretRoutes(app: FastifyInstance, context: V2Context): void {
  const onRequest = authenticateV2(context);
  for (const route of SECRET_ROUTES) {
    app.route({
      method: route.method,
      url: SECRET_URLS[route.shape],
      onRequest,
      schema: route.schema,
      handler: (request, reply) => route.handler(context, request, reply, request as SecretRequestInput),
    });
  }
  // The router refuses a path parameter over its length limit (find-my-way's maxParamLength, 100 by
  // default) and falls through to this wildcard: a long namespace or name still reaches the same handler,
  // with the same validation. Hidden from the document: it serves the routes above, nothing else.
  app.route({
    method: ['GET', 'PUT', 'DELETE'],
    url: '/secrets/*',
    onRequest,
    schema: { hide: true },
    handler: async (request, reply) => {
      const { route, params } = matchLongPath(request);
      return route.handler(context, request, reply, {
        params,
        query: validated(request, route.schema.querystring, 'querystring', request.query),
        headers: validated(request, route.schema.headers, 'headers', request.headers),
        body: validated(request, route.schema.body, 'body', request.body),
      });
    },
  });
}

/** Splits the raw, still percent-encoded path, so an encoded `/` never acts as a separator (as v1 does). */
function matchLongPath(request: FastifyRequest): {
  route: SecretRoute;
  params: SecretRequestInput['params'];
} {
  const path = (request.raw.url ?? '').split('?')[0] ?? '';
  const rest = path.slice(path.indexOf('/secrets/') + '/secrets/'.length).split('/');
  let parts: string[];
  try {
    parts = rest.map((segment) => decodeURIComponent(segment));
  } catch {
    throw new DsvError('DSV_INPUT_INVALID', 'The path is not validly percent-encoded');
  }
  const [namespace, name, tail] = parts;
  const shape: Shape | undefined =
    parts.length === 1
      ? 'namespace'
      : parts.length === 2
        ? 'secret'
        : tail === 'versions'
          ? 'versions'
          : undefined;
  const route = SECRET_ROUTES.find((r) => r.method === request.method && r.shape === shape);
  if (!route || parts.length > 3 || parts.some((part) => part === ''))
    throw new DsvError('DSV_ROUTE_NOT_FOUND');
  return {
    route,
    params: { ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }) },
  };
}

function validated(
  request: FastifyRequest,
  schema: unknown,
  part: 'querystring' | 'headers' | 'body',
  input: unknown,
): Record<string, unknown> {
  const data = (input ?? {}) as Record<string, unknown>;
  if (schema === undefined) return data;
  const validate = request.compileValidationSchema(schema as Record<string, unknown>, part);
  if (!validate(data)) {
    const first = validate.errors?.[0];
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `${part}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`,
    );
  }
  return data;
}
