// The handlers of the v2 secret routes, given validated input; secret-routes.ts binds them to URLs and
// schemas (and to the long-path fallback, which hands them the same input).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noteAuditSubject } from '../../audit/index.ts';
import type { VersionSelector } from '../../cluster/index.ts';
import { requireCapability } from '../../control/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { Caller } from '../tenancy.ts';
import { deleteSecret, parseWriteCondition, putSecret } from './conditional-write.ts';
import { listNames } from './list-names.ts';
import {
  canonicalPart,
  etagOf,
  isoTime,
  isoTimeOrNull,
  secretPath,
  secretTarget,
  valueBytes,
  valueField,
  type SecretTarget,
} from './secret-target.ts';
import { callerOf } from './v2-caller.ts';
import type { V2Context } from './v2-context.ts';

/** What a handler gets: path parameters (decoded, not yet canonical), query, headers and body. */
export interface SecretRequestInput {
  readonly params: { readonly namespace?: string; readonly name?: string };
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, unknown>;
  readonly body: unknown;
}

export type SecretHandler = (
  context: V2Context,
  request: FastifyRequest,
  reply: FastifyReply,
  input: SecretRequestInput,
) => Promise<unknown>;

const header = (input: SecretRequestInput, name: string): string | undefined => {
  const value = input.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** Notes what the request does for the audit trail (I-A1); the caller was authenticated in `onRequest`. */
function begin(
  request: FastifyRequest,
  operation: string,
  carriesSecret: boolean,
  target?: SecretTarget,
): Caller {
  noteAuditSubject(request, { operation, carriesSecret, ...(target ?? {}) });
  return callerOf(request);
}

export function readSelector(query: { version?: unknown; asOf?: unknown }): VersionSelector {
  if (query.version !== undefined && query.asOf !== undefined) {
    throw new DsvError('DSV_INPUT_INVALID', 'version and asOf cannot be used together');
  }
  if (query.version !== undefined) {
    // A number past 2^53 names no version exactly, and a repeated parameter is ambiguous: both are refused.
    if (!(typeof query.version === 'number' && Number.isSafeInteger(query.version) && query.version >= 1))
      throw new DsvError('DSV_INPUT_INVALID', 'version must be a whole number of at least 1');
    return { version: query.version };
  }
  if (query.asOf === undefined) return { latest: true };
  if (typeof query.asOf !== 'string')
    throw new DsvError('DSV_INPUT_INVALID', 'asOf must be one RFC 3339 time');
  const asOf = Date.parse(query.asOf);
  if (!Number.isFinite(asOf)) throw new DsvError('DSV_INPUT_INVALID', 'asOf must be an RFC 3339 time');
  return { asOf };
}

export const putHandler: SecretHandler = async (context, request, reply, input) => {
  const target = secretTarget(input.params, context.limits);
  const caller = begin(request, 'secret.write', false, target);
  const condition = parseWriteCondition(header(input, 'if-match'), header(input, 'if-none-match'));
  const body = input.body as { value: string; encoding?: string };
  const value = valueBytes(body.value, context.limits, body.encoding);
  const key = header(input, 'idempotency-key');
  const result = await putSecret(context.coordinator, caller, target, value, condition, key);
  void reply.header('etag', etagOf(result.version));
  if (result.created) {
    void reply.header('location', secretPath(target));
    return reply.status(201).send({ version: result.version, created: true });
  }
  return reply
    .status(200)
    .send({ version: result.version, ...(result.unchanged ? { unchanged: true } : {}) });
};

export const readHandler: SecretHandler = async (context, request, reply, input) => {
  const target = secretTarget(input.params, context.limits);
  const caller = begin(request, 'secret.read', true, target);
  const selector = readSelector(input.query);
  requireCapability(caller, 'read', target.namespace, target.name);
  // A chosen version or point in time is history; only the latest needs no more than `read`.
  if (!('latest' in selector)) requireCapability(caller, 'history', target.namespace, target.name);
  const key = { tenant: caller.tenant, ...target };
  const found = await context.coordinator.read(key, selector, caller).catch(async (error: unknown) => {
    throw await notFoundSaysWhich(context, key, selector, error);
  });
  // A body with a secret value must never be stored by a cache.
  return reply
    .header('cache-control', 'no-store')
    .header('etag', etagOf(found.version))
    .send({
      ...target,
      ...valueField(found.value),
      version: found.version,
      validFrom: isoTime(found.validFrom),
      validTo: isoTimeOrNull(found.validTo),
    });
};

/**
 * A missing version names the version asked for and the latest one (issue 11): "Secret app/db has no version 7
 * (latest is 3)". Only for a chosen version or time, which needs `history` (checked before): the latest
 * version number is what `versions` shows that caller anyway. Names and numbers only, never a value.
 */
async function notFoundSaysWhich(
  context: V2Context,
  key: { tenant: string; namespace: string; name: string },
  selector: VersionSelector,
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof DsvError) || error.code !== 'DSV_SECRET_NOT_FOUND' || 'latest' in selector)
    return error;
  const versions = await context.coordinator.history(key).catch(() => []);
  const latest = versions.length === 0 ? undefined : Math.max(...versions.map((info) => info.version));
  const path = `${key.namespace}/${key.name}`;
  const asked =
    'version' in selector ? `version ${selector.version}` : `version at ${isoTime(selector.asOf)}`;
  if (latest === undefined)
    return new DsvError('DSV_SECRET_NOT_FOUND', `Secret ${path} not found (it has no versions)`, {
      details: 'version' in selector ? { requestedVersion: selector.version } : {},
    });
  return new DsvError('DSV_SECRET_NOT_FOUND', `Secret ${path} has no ${asked} (latest is ${latest})`, {
    details: {
      ...('version' in selector ? { requestedVersion: selector.version } : { asOf: isoTime(selector.asOf) }),
      latestVersion: latest,
    },
  });
}

export const versionsHandler: SecretHandler = async (context, request, reply, input) => {
  const target = secretTarget(input.params, context.limits);
  const caller = begin(request, 'secret.versions', false, target);
  requireCapability(caller, 'history', target.namespace, target.name);
  const versions = await context.coordinator.history({ tenant: caller.tenant, ...target });
  return reply.send({
    ...target,
    versions: versions.map((info) => ({
      version: info.version,
      validFrom: isoTime(info.validFrom),
      validTo: isoTimeOrNull(info.validTo),
    })),
  });
};

export const deleteHandler: SecretHandler = async (context, request, reply, input) => {
  const target = secretTarget(input.params, context.limits);
  const caller = begin(request, 'secret.delete', false, target);
  const condition = parseWriteCondition(header(input, 'if-match'), undefined);
  await deleteSecret(context.coordinator, caller, target, condition, header(input, 'idempotency-key'));
  return reply.status(204).send();
};

export const listHandler: SecretHandler = async (context, request, reply, input) => {
  const namespace = canonicalPart(input.params.namespace, 'namespace', context.limits);
  const caller = begin(request, 'secret.list', false);
  noteAuditSubject(request, { namespace });
  const { prefix, limit, cursor } = input.query as { prefix: string; limit: number; cursor?: string };
  return reply.send(
    await listNames(context.coordinator, caller, namespace, prefix.normalize('NFC'), cursor, limit),
  );
};
