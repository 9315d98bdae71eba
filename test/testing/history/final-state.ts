// After a run: reads every key back from every node — `/all`, then `?version=v` for v = 1..N+1 — for the checker.
// Only HTTP to node URLs; a 503 is retried until a deadline (a node may still be catching up or repairing).
import { v1, type V1Response } from '../v1-client.ts';
import type { FinalState, NodeFinalRead } from './history-types.ts';

export interface FinalReadClient {
  read(base: string, user: string, name: string, version?: number): Promise<V1Response>;
  readAll(base: string, user: string, name: string): Promise<V1Response>;
}

export interface FinalStateOptions {
  readonly urls: readonly string[];
  readonly user: string;
  readonly keys: readonly string[];
  readonly client?: FinalReadClient;
  /** How long one read may keep answering 503 / failing to connect before its last answer is kept. */
  readonly retryMs?: number;
  /** Reads in flight at once (the cluster is small; this keeps the check from becoming a load test). */
  readonly concurrency?: number;
}

export async function readFinalState(options: FinalStateOptions): Promise<FinalState> {
  const client = options.client ?? v1;
  const retryMs = options.retryMs ?? 15_000;
  const limit = limiter(options.concurrency ?? 6);
  const readOne = (url: string, key: string, version?: number) =>
    limit(() =>
      retrying(
        () =>
          version === undefined
            ? client.readAll(url, options.user, key)
            : client.read(url, options.user, key, version),
        retryMs,
      ),
    );
  const keys = new Map<string, NodeFinalRead[]>();
  await Promise.all(
    options.keys.map(async (key) => {
      const perNode = await Promise.all(
        options.urls.map(async (url): Promise<NodeFinalRead> => {
          const all = await readOne(url, key);
          const versions = all.status === 200 ? parseAll(all.body) : undefined;
          const top = Math.max(0, ...(versions?.keys() ?? []));
          const byVersion = await Promise.all(
            Array.from({ length: top + 1 }, async (_, i) => {
              const response = await readOne(url, key, i + 1);
              return {
                version: i + 1,
                status: response.status,
                code: response.code,
                ...(response.status === 200 ? { value: response.body } : {}),
              };
            }),
          );
          return {
            node: url,
            all: { status: all.status, code: all.code, ...(versions ? { versions } : {}) },
            byVersion,
          };
        }),
      );
      keys.set(key, perNode);
    }),
  );
  return { keys };
}

/** `/all` body: `{"1":"a","2":"b"}` → 1 → a, 2 → b (a non-numeric key is kept as NaN so the checker sees it). */
function parseAll(body: string): Map<number, string> {
  const parsed = JSON.parse(body) as Record<string, string>;
  return new Map(Object.entries(parsed).map(([version, value]) => [Number(version), value]));
}

async function retrying(call: () => Promise<V1Response>, retryMs: number): Promise<V1Response> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    let response: V1Response;
    try {
      response = await call();
    } catch (error) {
      response = { status: 0, body: String((error as Error).message), code: null };
    }
    if ((response.status !== 503 && response.status !== 0) || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** At most `size` tasks at once; a finishing task hands its slot straight to the next waiter. */
function limiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
