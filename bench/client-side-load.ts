// The client-side kinds of a load run: the v2 create, update and read through the client library (client/,
// issue 9), so the value is split and combined here, in the load worker, and the shards go to and come from
// the holders directly. Same keys, values and checks as their server-side counterparts in workload.ts.
import { Agent } from 'undici';
import { DsvClient, DsvClientError, type FetchLike } from '../client/index.ts';
import type { LoadExecutor } from './load.ts';
import { transportFault } from './load.ts';
import { createTarget, forget, freshValue, ownedKey, type KeyState, type WorkloadSpec } from './workload.ts';

/** A wrong answer's label: the library's stable error code and its (value-free, I-G2) message. */
function clientFault(error: unknown): string {
  if (error instanceof DsvClientError) return `client ${error.code} ${error.message.slice(0, 80)}`;
  return transportFault(error);
}

const text = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString();

/**
 * One DsvClient per origin (operation i starts at origins[i mod n], as the server-side rows go round robin),
 * over one undici Agent of this run, closed with it: every call (coordinator and holders) is keep-alive.
 */
export function clientSideExecutor(spec: WorkloadSpec): LoadExecutor {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    headersTimeout: spec.requestTimeoutMs,
    bodyTimeout: spec.requestTimeoutMs,
  });
  const viaAgent: FetchLike = (input, init) =>
    fetch(input, { ...init, dispatcher: agent } as RequestInit & { dispatcher: Agent });
  const clients = spec.origins.map(
    (url) =>
      // The bench's own cluster: each client pins the first topology it fetches (trust on first use).
      new DsvClient({
        url,
        token: spec.token ?? '',
        timeoutMs: spec.requestTimeoutMs,
        fetch: viaAgent,
        trustFirstTopology: true,
      }),
  );
  const namespace = spec.user;
  return {
    plan: (keys, worker, seq, issued) => {
      const client = clients[issued % clients.length]!;
      switch (spec.kind) {
        case 'cs-create': {
          const { key, name } = createTarget(spec, keys, issued);
          const value = freshValue(spec.valueBytes);
          return async () => {
            try {
              const result = await client.put(namespace, name, value, { ifNoneMatch: '*' });
              if (result.version !== 1 || !result.created || result.unchanged)
                return 'create answer is not {version:1, created:true}';
              if (key !== undefined) Object.assign(key, { value, version: 1 });
              return undefined;
            } catch (error) {
              return clientFault(error);
            }
          };
        }
        case 'cs-update':
          return update(client, namespace, spec, ownedKey(spec, keys, worker, seq));
        case 'cs-read':
          return read(client, namespace, keys[issued % keys.length]!);
        default:
          throw new Error(`${spec.kind} is not a client-side kind`);
      }
    },
    close: () => agent.close(),
  };
}

/** An unconditional put of an existing key: version exactly the last + 1 (I-X2), not created, not unchanged. */
function update(
  client: DsvClient,
  namespace: string,
  spec: WorkloadSpec,
  key: KeyState,
): () => Promise<string | undefined> {
  const value = freshValue(spec.valueBytes);
  const expected = key.version === undefined ? undefined : key.version + 1;
  return async () => {
    try {
      const result = await client.put(namespace, key.name, value);
      if (result.created || result.unchanged) {
        forget(key);
        return 'update answer is not {version}';
      }
      if (expected !== undefined && result.version !== expected) {
        forget(key);
        return 'version not last + 1';
      }
      Object.assign(key, { value, version: result.version });
      return undefined;
    } catch (error) {
      forget(key); // after a failed write the bench no longer knows the key's state
      return clientFault(error);
    }
  };
}

/** The latest version, combined here: exactly the last acknowledged value and version (I-C1). */
function read(client: DsvClient, namespace: string, key: KeyState): () => Promise<string | undefined> {
  const expected = { value: key.value, version: key.version };
  return async () => {
    try {
      const answer = await client.get(namespace, key.name);
      const value = text(answer.value);
      answer.value.fill(0);
      if (expected.value !== undefined && value !== expected.value) return 'wrong value';
      if (expected.version !== undefined && answer.version !== expected.version)
        return 'version not the last';
      return undefined;
    } catch (error) {
      return clientFault(error);
    }
  };
}
