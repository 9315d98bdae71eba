// v2 writes with HTTP conditions (DESIGN §9): create-or-update, create-only (If-None-Match: *),
// compare-and-set (If-Match: "<version>"), and idempotent retries (Idempotency-Key) through the log.
import type { BatchOpResult, Coordinator } from '../../cluster/index.ts';
import { requireCapability } from '../../control/index.ts';
import { DsvError, isDsvError } from '../../errors/index.ts';
import type { Caller } from '../tenancy.ts';
import type { SecretTarget } from './secret-target.ts';

export type WriteCondition =
  | { readonly kind: 'none' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'exists' }
  /** Strong entity tags the latest version must equal one of (weak tags never match, RFC 9110 §13.1.1). */
  | { readonly kind: 'versions'; readonly versions: readonly number[] };

const STRONG_TAG = /^"([1-9][0-9]{0,15})"$/;
const WEAK_TAG = /^W\/"[^"]*"$/;

export function parseWriteCondition(ifMatch: unknown, ifNoneMatch: unknown): WriteCondition {
  const match = typeof ifMatch === 'string' ? ifMatch.trim() : undefined;
  const noneMatch = typeof ifNoneMatch === 'string' ? ifNoneMatch.trim() : undefined;
  if (match !== undefined && noneMatch !== undefined) {
    throw new DsvError('DSV_INPUT_INVALID', 'Send either If-Match or If-None-Match, not both');
  }
  if (noneMatch !== undefined) {
    if (noneMatch !== '*') throw new DsvError('DSV_INPUT_INVALID', 'If-None-Match supports only *');
    return { kind: 'absent' };
  }
  if (match === undefined) return { kind: 'none' };
  if (match === '*') return { kind: 'exists' };
  const versions: number[] = [];
  for (const tag of match.split(',').map((part) => part.trim())) {
    const strong = STRONG_TAG.exec(tag);
    if (strong?.[1] !== undefined) versions.push(Number(strong[1]));
    else if (!WEAK_TAG.test(tag)) {
      throw new DsvError('DSV_INPUT_INVALID', 'If-Match must be * or entity tags like "3"');
    }
  }
  return { kind: 'versions', versions };
}

export interface PutOutcome {
  readonly version: number;
  readonly created: boolean;
  readonly unchanged: boolean;
}

/** Versions restart at 1 only through a create, and an update never yields 1 unless unchanged (§5). */
const outcome = (result: BatchOpResult): PutOutcome => ({
  version: result.version,
  created: result.version === 1 && result.unchanged !== true,
  unchanged: result.unchanged === true,
});

const codeOf = (error: unknown): string | undefined => (isDsvError(error) ? error.code : undefined);

export async function putSecret(
  coordinator: Coordinator,
  caller: Caller,
  target: SecretTarget,
  value: Uint8Array,
  condition: WriteCondition,
  idempotencyKey: string | undefined,
): Promise<PutOutcome> {
  const { tenant } = caller;
  const options = (key: string | undefined) =>
    key === undefined ? { caller } : { caller, idempotencyKey: key };
  const write = (op: 'create' | 'update', key: string | undefined) => {
    requireCapability(caller, op, target.namespace, target.name);
    return coordinator.write(tenant, { op, ...target, value }, options(key));
  };
  if (condition.kind === 'absent') return outcome(await write('create', idempotencyKey));
  if (condition.kind === 'none') return upsert(coordinator, tenant, target, write, idempotencyKey);

  requireCapability(caller, 'update', target.namespace, target.name);
  const expected = await expectedVersion(coordinator, tenant, target, condition, idempotencyKey, caller);
  return outcome(
    await asPreconditionFailure(
      coordinator.write(tenant, { op: 'update', ...target, value, ...expected }, options(idempotencyKey)),
    ),
  );
}

/** A conditional write the log found missing (deleted after our check) fails its condition: 412. */
async function asPreconditionFailure<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (codeOf(error) === 'DSV_SECRET_NOT_FOUND') throw new DsvError('DSV_PRECONDITION_FAILED');
    throw error;
  }
}

/**
 * Compare-and-set. After a catch-up to the log's end, the latest version must be one of the If-Match
 * tags; that version then travels in the intent as `expectedVersion`, and the state machine rejects the
 * write (412) if another write got ordered in between — the log decides, on every node alike (DESIGN §5).
 * `If-Match: *` needs no expected version: an update of a missing secret is rejected by the log anyway.
 * A retry whose idempotency key is already in the log skips the check: it answers as the first request did.
 */
async function expectedVersion(
  coordinator: Coordinator,
  tenant: string,
  target: SecretTarget,
  condition: WriteCondition,
  idempotencyKey: string | undefined,
  caller: Caller,
): Promise<{ expectedVersion?: number }> {
  let latest: number | undefined;
  try {
    latest = (await coordinator.history({ tenant, ...target })).at(-1)?.version;
  } catch (error) {
    if (codeOf(error) !== 'DSV_SECRET_NOT_FOUND') throw error;
  }
  const holds =
    latest !== undefined && (condition.kind !== 'versions' || condition.versions.includes(latest));
  if (holds) return condition.kind === 'versions' && latest !== undefined ? { expectedVersion: latest } : {};
  if (
    idempotencyKey !== undefined &&
    coordinator.idempotencyKeySeen(caller, tenant, idempotencyKey, [target])
  )
    return {};
  throw new DsvError(
    'DSV_PRECONDITION_FAILED',
    latest === undefined ? 'The secret does not exist' : `The latest version is ${latest}`,
  );
}

/**
 * Create-or-update: the local view only hints which op to try; the log decides. A create that loses to a
 * concurrent create becomes an update, an update that loses to a delete becomes a create (at most three
 * attempts). With an idempotency key K the attempts use K, then K + "\n2", K + "\n3": a header value can
 * never contain a line break, so these never collide with a client's key, and a retry of the whole request
 * replays the same attempts and gets the recorded outcome of each.
 */
async function upsert(
  coordinator: Coordinator,
  tenant: string,
  target: SecretTarget,
  write: (op: 'create' | 'update', key: string | undefined) => Promise<BatchOpResult>,
  idempotencyKey: string | undefined,
): Promise<PutOutcome> {
  let op: 'create' | 'update' = coordinator.isLive({ tenant, ...target }) ? 'update' : 'create';
  for (let attempt = 1; ; attempt++) {
    const key =
      idempotencyKey === undefined || attempt === 1 ? idempotencyKey : `${idempotencyKey}\n${attempt}`;
    try {
      return outcome(await write(op, key));
    } catch (error) {
      const code = codeOf(error);
      if (attempt >= 3 || (code !== 'DSV_SECRET_EXISTS' && code !== 'DSV_SECRET_NOT_FOUND')) throw error;
      op = code === 'DSV_SECRET_EXISTS' ? 'update' : 'create';
    }
  }
}

/** Delete, optionally conditional (If-Match) with the same compare-and-set as `putSecret`. */
export async function deleteSecret(
  coordinator: Coordinator,
  caller: Caller,
  target: SecretTarget,
  condition: WriteCondition,
  idempotencyKey: string | undefined,
): Promise<void> {
  requireCapability(caller, 'delete', target.namespace, target.name);
  if (condition.kind === 'absent') {
    throw new DsvError('DSV_INPUT_INVALID', 'If-None-Match does not apply to a delete');
  }
  const options = idempotencyKey === undefined ? { caller } : { caller, idempotencyKey };
  if (condition.kind === 'none') {
    await coordinator.write(caller.tenant, { op: 'delete', ...target }, options);
    return;
  }
  const expected = await expectedVersion(
    coordinator,
    caller.tenant,
    target,
    condition,
    idempotencyKey,
    caller,
  );
  await asPreconditionFailure(
    coordinator.write(caller.tenant, { op: 'delete', ...target, ...expected }, options),
  );
}
