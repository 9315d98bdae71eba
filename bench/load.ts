// The bounded load generator: closed-loop workers over keep-alive undici pools, stopped by time and by count.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { isClientSideKind, planRequest, type KeyState, type WorkloadSpec } from './workload.ts';

export interface LoadResult {
  /** Latencies (ms) of the correct answers that completed inside the measured window. */
  readonly latenciesMs: number[];
  /** Length of the measured window actually run (ms); ends early when maxRequests is reached. */
  readonly measuredMs: number;
  readonly okInWindow: number;
  readonly issued: number;
  /** Every wrong answer, warm-up included: label → count. A benchmark of 503s is worthless. */
  readonly errors: Record<string, number>;
  /** Key states after the run (a PUT run hands its values to the GET run that checks them). */
  readonly keys: KeyState[];
}

export function validateSpec(spec: WorkloadSpec): void {
  const fail = (why: string) => {
    throw new Error(`invalid workload: ${why}`);
  };
  if (spec.origins.length === 0) fail('no origins');
  if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1) fail('concurrency must be ≥ 1');
  if (!(spec.durationMs > 0) || spec.warmupMs < 0) fail('duration must be > 0, warm-up ≥ 0');
  if (!(spec.maxRequests > 0)) fail('maxRequests must be > 0');
  if (spec.kind !== 'http-get' && spec.keys.length === 0) fail('no keys');
  const owned = ['v1-put', 'v2-update', 'v2-mixed', 'cs-update'].includes(spec.kind);
  if (owned && spec.keys.length < spec.concurrency) fail('a run with updates needs ≥ 1 key per worker');
  if (/^(v2|cs)-/.test(spec.kind) && spec.token === undefined)
    fail('v2 and client-side requests need a token');
}

/** A short, value-free description of a transport failure (timeouts, refused connections). */
export function transportFault(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return `transport: ${typeof code === 'string' ? code : error instanceof Error ? error.name : 'error'}`;
}

/** Error bodies are `{"message"}` without secret material (I-G2); success bodies may be values, never shown. */
function statusFault(status: number, body: string): string {
  if (status < 400) return `HTTP ${status}`;
  return `HTTP ${status} ${body.replace(/\s+/g, ' ').slice(0, 80)}`;
}

/**
 * How one kind of run performs a request. `plan` prepares request number `issued` (worker `worker`'s
 * `seq`-th: which key, a fresh value) and returns what sends it; that resolves with undefined when the answer
 * was right, else with a short value-free label of what was wrong. Only the sending is timed.
 */
export interface LoadExecutor {
  plan(keys: KeyState[], worker: number, seq: number, issued: number): () => Promise<string | undefined>;
  close(): Promise<void>;
}

/** HTTP requests planned by `planRequest` over keep-alive undici pools, request i to origin i mod n. */
function httpExecutor(spec: WorkloadSpec): LoadExecutor {
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    ...(spec.token === undefined ? {} : { authorization: `Bearer ${spec.token}` }),
  };
  const pools = spec.origins.map(
    (origin) =>
      new Pool(origin, {
        connections: spec.concurrency,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: spec.requestTimeoutMs,
        bodyTimeout: spec.requestTimeoutMs,
        ...(spec.tls === undefined ? {} : { connect: { ...spec.tls, rejectUnauthorized: true } }),
      }),
  );
  return {
    plan: (keys, worker, seq, issued) => {
      const planned = planRequest(spec, keys, worker, seq, issued);
      const pool = pools[issued % pools.length]!;
      return async () => {
        let fault: string | undefined;
        let text = '';
        try {
          const response = await pool.request({
            method: planned.method,
            path: planned.path,
            headers: planned.headers === undefined ? headers : { ...headers, ...planned.headers },
            ...(planned.body === undefined ? {} : { body: planned.body }),
          });
          text = await response.body.text();
          fault =
            response.statusCode === planned.expectStatus
              ? planned.check(text)
              : statusFault(response.statusCode, text);
        } catch (error) {
          fault = transportFault(error);
        }
        if (fault === undefined) planned.onSuccess(text);
        else planned.onFailure();
        return fault;
      };
    },
    close: async () => {
      await Promise.all(pools.map((pool) => pool.close()));
    },
  };
}

/** The client-side kinds go through the client library (loaded only for them: bench/client-side-load.ts). */
async function executorFor(spec: WorkloadSpec): Promise<LoadExecutor> {
  if (!isClientSideKind(spec.kind)) return httpExecutor(spec);
  const { clientSideExecutor } = await import('./client-side-load.ts');
  return clientSideExecutor(spec);
}

export async function runLoad(spec: WorkloadSpec): Promise<LoadResult> {
  validateSpec(spec);
  const executor = await executorFor(spec);
  const keys = spec.keys.map((key) => ({ ...key }));
  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  const start = performance.now();
  const measureFrom = start + spec.warmupMs;
  const measureTo = measureFrom + spec.durationMs;
  let issued = 0;
  let okInWindow = 0;

  const worker = async (id: number): Promise<void> => {
    for (let seq = 0; ; seq++) {
      if (performance.now() >= measureTo || issued >= spec.maxRequests) return;
      const n = issued++;
      const send = executor.plan(keys, id, seq, n);
      const began = performance.now();
      const fault = await send();
      const ended = performance.now();
      if (fault !== undefined) {
        errors[fault] = (errors[fault] ?? 0) + 1;
        continue;
      }
      if (ended >= measureFrom && ended <= measureTo) {
        latenciesMs.push(ended - began);
        okInWindow += 1;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: spec.concurrency }, (_, id) => worker(id)));
  } finally {
    await executor.close();
  }
  // Measured from the window's start, capped by its length (not `measureTo - measureFrom`: float rounding).
  const measuredMs = Math.max(0, Math.min(performance.now() - measureFrom, spec.durationMs));
  return { latenciesMs, measuredMs, okInWindow, issued, errors, keys };
}
