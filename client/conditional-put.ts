// v2 PUT semantics on the client (the same rules as src/gateway/v2/conditional-write.ts on the server):
// create-only (If-None-Match: *), compare-and-set (If-Match: versions, or * for "must exist"), and
// create-or-update, each decided by the log; an idempotency key makes a retry answer as the first request did.
import { DsvClientError } from './client-error.ts';
import { decidedByLog } from './write-flow.ts';
import type { OpResult } from './wire.ts';

export interface PutOptions {
  /** Compare-and-set: the latest version must be this one (or one of these); `'*'`: the secret must exist. */
  readonly ifMatch?: number | readonly number[] | '*';
  /** `'*'`: create only; an existing secret is 409 DSV_SECRET_EXISTS. */
  readonly ifNoneMatch?: '*';
  /** 1–200 visible ASCII characters; a retry with the same key replays the first answer. */
  readonly idempotencyKey?: string;
}

export interface PutResult {
  readonly version: number;
  /** True exactly when this request made version 1 of a new secret (HTTP 201 on the server path). */
  readonly created: boolean;
  /** True when the value equalled the latest version's: no new version was made. */
  readonly unchanged: boolean;
}

/** Orders one write op (through the whole client-side write) and answers its result. */
export type WriteOne = (
  op: 'create' | 'update' | 'delete',
  fields: { expectedVersion?: number; attempt?: number },
) => Promise<OpResult>;

/** The latest version of the secret, or undefined when it does not exist. */
export type LatestVersion = () => Promise<number | undefined>;

/** Versions restart at 1 only through a create, and an update never yields 1 unless unchanged. */
const outcome = (result: OpResult): PutResult => ({
  version: result.version,
  created: result.version === 1 && result.unchanged !== true,
  unchanged: result.unchanged === true,
});

const invalid = (message: string) => new DsvClientError('DSV_INPUT_INVALID', message);

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The expected versions of `ifMatch` (undefined for `'*'`), checked as the server checks entity tags. */
function matchVersions(ifMatch: PutOptions['ifMatch']): readonly number[] | undefined {
  if (ifMatch === '*') return undefined;
  const versions: readonly number[] | undefined = typeof ifMatch === 'number' ? [ifMatch] : ifMatch;
  if (typeof versions !== 'object' || versions.length === 0)
    throw invalid('ifMatch must be a version, a list of versions, or *');
  if (!versions.every((version) => Number.isSafeInteger(version) && version >= 1))
    throw invalid('ifMatch versions must be positive integers');
  return versions;
}

export async function conditionalPut(
  write: WriteOne,
  latestVersion: LatestVersion,
  options: PutOptions = {},
): Promise<PutResult> {
  const { ifMatch, ifNoneMatch, idempotencyKey } = options;
  if (ifMatch !== undefined && ifNoneMatch !== undefined)
    throw invalid('Give either ifMatch or ifNoneMatch, not both');
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') throw invalid('ifNoneMatch supports only *');
  checkKey(idempotencyKey);
  if (ifNoneMatch === '*') return outcome(await write('create', {}));
  if (ifMatch === undefined) return upsert(write);
  return outcome(await compareAndSet('update', write, latestVersion, ifMatch, idempotencyKey !== undefined));
}

/** A delete, unconditional or compare-and-set (`ifMatch`), with the same rules as a PUT's. */
export async function conditionalDelete(
  write: WriteOne,
  latestVersion: LatestVersion,
  options: Pick<PutOptions, 'ifMatch' | 'idempotencyKey'> = {},
): Promise<void> {
  checkKey(options.idempotencyKey);
  if (options.ifMatch === undefined) await write('delete', {});
  else
    await compareAndSet(
      'delete',
      write,
      latestVersion,
      options.ifMatch,
      options.idempotencyKey !== undefined,
    );
}

function checkKey(idempotencyKey: string | undefined): void {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey))
    throw invalid('The idempotency key must be 1–200 visible ASCII characters');
}

/** The op with the expected version of `ifMatch`; a secret the log finds missing fails the condition: 412. */
async function compareAndSet(
  op: 'update' | 'delete',
  write: WriteOne,
  latestVersion: LatestVersion,
  ifMatch: NonNullable<PutOptions['ifMatch']>,
  keyed: boolean,
): Promise<OpResult> {
  const versions = matchVersions(ifMatch);
  const expected = versions === undefined ? {} : await expectedVersion(versions, latestVersion, keyed);
  try {
    return await write(op, expected);
  } catch (error) {
    // Deleted after the check (or never there): the condition fails, as on the server path.
    if (decidedByLog(error) && (error as DsvClientError).code === 'DSV_SECRET_NOT_FOUND')
      throw new DsvClientError('DSV_PRECONDITION_FAILED', 'The secret does not exist');
    throw error;
  }
}

/**
 * The version the intent expects. One tag travels as it is: the log decides (a replayed key answers first,
 * before any precondition). Several: the latest must be one of them; when it is none and the request carries an
 * idempotency key, the intent still goes out, so a retry whose first attempt moved the version replays it
 * (otherwise the log answers 412 there).
 */
async function expectedVersion(
  versions: readonly number[],
  latestVersion: LatestVersion,
  keyed: boolean,
): Promise<{ expectedVersion: number }> {
  if (versions.length === 1) return { expectedVersion: versions[0] as number };
  const latest = await latestVersion();
  if (latest !== undefined && versions.includes(latest)) return { expectedVersion: latest };
  if (keyed) return { expectedVersion: Math.max(...versions) };
  throw new DsvClientError(
    'DSV_PRECONDITION_FAILED',
    latest === undefined ? 'The secret does not exist' : `The latest version is ${latest}`,
  );
}

/**
 * Create-or-update, decided by the log: an update first (the common case, and it lets the client detect an
 * unchanged value); a missing secret becomes a create, a create that loses to a concurrent create an update, at
 * most three attempts. With a key, attempts 2 and 3 carry `attempt` (the server's K + "\n2", K + "\n3"), so a
 * retried request replays the same attempts and their recorded outcomes.
 */
async function upsert(write: WriteOne): Promise<PutResult> {
  let op: 'create' | 'update' = 'update';
  for (let attempt = 1; ; attempt++) {
    try {
      return outcome(await write(op, attempt === 1 ? {} : { attempt }));
    } catch (error) {
      const code = decidedByLog(error) ? (error as DsvClientError).code : undefined;
      if (attempt >= 3 || (code !== 'DSV_SECRET_EXISTS' && code !== 'DSV_SECRET_NOT_FOUND')) throw error;
      op = code === 'DSV_SECRET_EXISTS' ? 'update' : 'create';
    }
  }
}
