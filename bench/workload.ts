// What one benchmark request is: the request each workload kind sends and the check its answer must pass.
import { randomBytes } from 'node:crypto';

/**
 * v2 kinds are the rows of issue 10 as `../shared/perf/loadgen` drives DSV (v2 API, Bearer token):
 * `v2-create` (PUT, If-None-Match: *), `v2-update` (unconditional PUT of an existing key), `v2-read` (GET) and
 * `v2-mixed` (per request at random: `readPercent` % reads, the rest updates). v1 kinds are API-V1.md's.
 */
export type WorkloadKind =
  | 'http-get'
  | 'v1-create'
  | 'v1-get'
  | 'v1-put'
  | 'v2-create'
  | 'v2-update'
  | 'v2-read'
  | 'v2-mixed'
  | ClientSideKind;

/**
 * The v2 create, update and read, client-side: through the client library (client/), which splits and combines
 * the value in the load worker and talks to the holders itself (bench/client-side-load.ts).
 */
export type ClientSideKind = 'cs-create' | 'cs-update' | 'cs-read';

/** The client-side counterpart of a server-side kind, where there is one (none for mixed and v1). */
export const CLIENT_SIDE_KIND: Partial<Record<WorkloadKind, ClientSideKind>> = {
  'v2-create': 'cs-create',
  'v2-update': 'cs-update',
  'v2-read': 'cs-read',
};

export const isClientSideKind = (kind: WorkloadKind): kind is ClientSideKind => kind.startsWith('cs-');

/** What the bench knows about a key: its latest value and version (undefined after a failed write). */
export interface KeyState {
  readonly name: string;
  value: string | undefined;
  version: number | undefined;
}

/** `count` keys named by `name(i)`, state unknown (before seeding). */
export const benchKeys = (count: number, name: (i: number) => string): KeyState[] =>
  Array.from({ length: count }, (_, i) => ({ name: name(i), value: undefined, version: undefined }));

/** TLS material a client presents and trusts (PEM strings, so a spec stays serialisable). */
export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A serialisable description of one bounded run, so it can cross into a worker thread. */
export interface WorkloadSpec {
  readonly kind: WorkloadKind;
  /** Base URLs; request i goes to origins[i % origins.length] (round robin over the nodes). */
  readonly origins: readonly string[];
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Hard bound on requests issued, warm-up included. */
  readonly maxRequests: number;
  readonly requestTimeoutMs: number;
  /** The v1 `user` of every key, which is also its v2 namespace (the default tenant's). */
  readonly user: string;
  /** `Authorization: Bearer <token>` on every request (v2 kinds need one: the cluster's root token). */
  readonly token?: string;
  /**
   * v2-create only: when set, each request creates a fresh key `<prefix><n>` (the create rows); when unset, it
   * creates `keys[n]` and records its value (seeding).
   */
  readonly createPrefix?: string;
  /** v2-mixed: the share of reads, in % (the rest are updates). Default 90. */
  readonly readPercent?: number;
  readonly keys: readonly KeyState[];
  readonly valueBytes: number;
  /** For https origins: the CA to trust and the client certificate to present (mutual TLS). */
  readonly tls?: ClientTls;
}

export interface PlannedRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: string;
  /** Headers beyond accept, content-type and authorization (v2 create: If-None-Match). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly expectStatus: number;
  /** undefined when the body is right, else a short label of what is wrong (never secret material, I-G2). */
  check(body: string): string | undefined;
  onSuccess(body: string): void;
  onFailure(): void;
}

const SECRETS = '/api/v1/secrets';
const nothing = (): void => undefined;
const v2Path = (spec: WorkloadSpec, name: string) =>
  `/v2/secrets/${encodeURIComponent(spec.user)}/${encodeURIComponent(name)}`;

/** A JSON object body, or undefined (a body that is not JSON is a wrong answer, never a crash). */
function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A fresh value of about `bytes` printable bytes, so every PUT really makes a new version (DESIGN §5). */
export function freshValue(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64url')
    .slice(0, bytes);
}

/**
 * PUTs at concurrency c: worker w owns keys w, w + c, w + 2c, … so two in-flight updates never race on one
 * key (a race is a correct 409, not what this measures), and each answer's version is exactly last + 1 (I-X2).
 */
export function ownedKey(
  spec: WorkloadSpec,
  keys: readonly KeyState[],
  worker: number,
  seq: number,
): KeyState {
  const perWorker = Math.floor(keys.length / spec.concurrency);
  return keys[worker + spec.concurrency * (seq % perWorker)]!;
}

export function planRequest(
  spec: WorkloadSpec,
  keys: readonly KeyState[],
  worker: number,
  seq: number,
  issued: number,
): PlannedRequest {
  const json = (payload: object) => JSON.stringify({ ...payload, user: spec.user });
  switch (spec.kind) {
    case 'http-get':
      return {
        method: 'GET',
        path: '/',
        expectStatus: 200,
        check: (body) => (body === 'ok' ? undefined : 'unexpected body'),
        onSuccess: nothing,
        onFailure: nothing,
      };
    case 'v1-create': {
      const key = keys[issued % keys.length]!;
      const value = freshValue(spec.valueBytes);
      return {
        method: 'POST',
        path: SECRETS,
        body: json({ secretName: key.name, secretValue: value }),
        expectStatus: 201,
        check: (body) => (body === 'Secret created (version: 1)' ? undefined : 'unexpected create answer'),
        onSuccess: () => {
          key.value = value;
          key.version = 1;
        },
        onFailure: nothing,
      };
    }
    case 'v1-get': {
      const key = keys[issued % keys.length]!;
      const query = `?user=${encodeURIComponent(spec.user)}`;
      return {
        method: 'GET',
        path: `${SECRETS}/${encodeURIComponent(key.name)}${query}`,
        expectStatus: 200,
        // Nothing writes during a GET run, so the answer must be exactly the last value written (I-C1).
        check: (body) => (key.value === undefined || body === key.value ? undefined : 'wrong value'),
        onSuccess: nothing,
        onFailure: nothing,
      };
    }
    case 'v1-put': {
      const key = ownedKey(spec, keys, worker, seq);
      const value = freshValue(spec.valueBytes);
      const expected = key.version === undefined ? undefined : key.version + 1;
      return {
        method: 'PUT',
        path: SECRETS,
        body: json({ secretCurrentName: key.name, secretUpdatedValue: value }),
        expectStatus: 200,
        check: (body) => {
          const match = /^Secret updated \(version: (\d+)\)$/.exec(body);
          if (!match) return 'unexpected update answer';
          return expected === undefined || Number(match[1]) === expected ? undefined : 'version not last + 1';
        },
        onSuccess: (body) => {
          key.value = value;
          key.version = Number(/\d+/.exec(body)?.[0]);
        },
        // After a failed write the bench no longer knows the key's state; later checks relax for it.
        onFailure: () => forget(key),
      };
    }
    case 'v2-create': {
      const { key, name } = createTarget(spec, keys, issued);
      const value = freshValue(spec.valueBytes);
      return {
        method: 'PUT',
        path: v2Path(spec, name),
        headers: { 'if-none-match': '*' },
        body: JSON.stringify({ value }),
        expectStatus: 201,
        check: (body) => {
          const answer = jsonObject(body);
          return answer?.['version'] === 1 && answer['created'] === true && Object.keys(answer).length === 2
            ? undefined
            : 'create answer is not {version:1, created:true}';
        },
        onSuccess: () => {
          if (key === undefined) return;
          key.value = value;
          key.version = 1;
        },
        onFailure: nothing,
      };
    }
    case 'v2-read':
      return v2Read(spec, keys[issued % keys.length]!);
    case 'v2-update':
      return v2Update(spec, ownedKey(spec, keys, worker, seq));
    case 'v2-mixed': {
      // Reads and updates both on this worker's own keys: it knows their last acknowledged value exactly.
      const key = ownedKey(spec, keys, worker, seq);
      return Math.random() * 100 < (spec.readPercent ?? 90) ? v2Read(spec, key) : v2Update(spec, key);
    }
    case 'cs-create':
    case 'cs-update':
    case 'cs-read':
      throw new Error(`${spec.kind} goes through the client library (bench/client-side-load.ts), not HTTP`);
  }
}

/** What a create writes: a fresh name `<createPrefix><n>` (the create rows), else `keys[n]` (seeding). */
export function createTarget(
  spec: WorkloadSpec,
  keys: readonly KeyState[],
  issued: number,
): { key: KeyState | undefined; name: string } {
  if (spec.createPrefix !== undefined) return { key: undefined, name: `${spec.createPrefix}${issued}` };
  const key = keys[issued % keys.length]!;
  return { key, name: key.name };
}

export function forget(key: KeyState): void {
  key.value = undefined;
  key.version = undefined;
}

/** The latest version: 200 with exactly the last acknowledged value (read-your-writes on any node, I-C1). */
function v2Read(spec: WorkloadSpec, key: KeyState): PlannedRequest {
  const expected = key.value;
  return {
    method: 'GET',
    path: v2Path(spec, key.name),
    expectStatus: 200,
    check: (body) => {
      const answer = jsonObject(body);
      if (typeof answer?.['value'] !== 'string') return 'read answer without value';
      if (expected !== undefined && answer['value'] !== expected) return 'wrong value';
      if (key.version !== undefined && answer['version'] !== key.version) return 'version not the last';
      return undefined;
    },
    onSuccess: nothing,
    onFailure: nothing,
  };
}

/** An unconditional PUT of an existing key: 200 with version exactly the last + 1 (I-X2), not created. */
function v2Update(spec: WorkloadSpec, key: KeyState): PlannedRequest {
  const value = freshValue(spec.valueBytes);
  const expected = key.version === undefined ? undefined : key.version + 1;
  let version: number | undefined;
  return {
    method: 'PUT',
    path: v2Path(spec, key.name),
    body: JSON.stringify({ value }),
    expectStatus: 200,
    check: (body) => {
      const answer = jsonObject(body);
      version = typeof answer?.['version'] === 'number' ? answer['version'] : undefined;
      if (answer === undefined || version === undefined || 'created' in answer || 'unchanged' in answer)
        return 'update answer is not {version}';
      return expected === undefined || version === expected ? undefined : 'version not last + 1';
    },
    onSuccess: () => {
      key.value = value;
      key.version = version;
    },
    onFailure: () => forget(key),
  };
}
