// What one benchmark request is: the request each workload kind sends and the check its answer must pass.
import { randomBytes } from 'node:crypto';

export type WorkloadKind = 'http-get' | 'v1-create' | 'v1-get' | 'v1-put';

/** What the bench knows about a key: its latest value and version (undefined after a failed write). */
export interface KeyState {
  readonly name: string;
  value: string | undefined;
  version: number | undefined;
}

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
  /** The v1 `user` (namespace) of every key. */
  readonly user: string;
  readonly keys: readonly KeyState[];
  readonly valueBytes: number;
  /** For https origins: the CA to trust and the client certificate to present (mutual TLS). */
  readonly tls?: ClientTls;
}

export interface PlannedRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: string;
  readonly expectStatus: number;
  /** undefined when the body is right, else a short label of what is wrong (never secret material, I-G2). */
  check(body: string): string | undefined;
  onSuccess(body: string): void;
  onFailure(): void;
}

const SECRETS = '/api/v1/secrets';
const nothing = (): void => undefined;

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
function ownedKey(spec: WorkloadSpec, keys: readonly KeyState[], worker: number, seq: number): KeyState {
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
        onFailure: () => {
          key.value = undefined;
          key.version = undefined;
        },
      };
    }
  }
}
