// Records invoke/complete/outcome of every v1 operation a test client sends (the input of the history checker).
// It speaks only HTTP to node URLs, so it runs unchanged against in-process nodes or real `dsv server` processes.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { v1, type V1Response } from '../v1-client.ts';
import type { Operation, OperationKind, Outcome } from './history-types.ts';

/** The part of the v1 test client the recorder needs (`v1` from test/testing/v1-client.ts by default). */
export interface HistoryClient {
  create(base: string, user: string, name: string, value: string): Promise<V1Response>;
  update(base: string, user: string, name: string, value: string): Promise<V1Response>;
  read(base: string, user: string, name: string, version?: number): Promise<V1Response>;
  remove(base: string, user: string, name: string): Promise<V1Response>;
}

export interface HistoryRecorderOptions {
  /** The v1 `user` (namespace) every operation uses. */
  readonly user: string;
  readonly client?: HistoryClient;
  /** A request not answered within this is recorded as `unknown` (the write may still happen). */
  readonly timeoutMs?: number;
}

const CREATED = /^Secret created \(version: (\d+)\)$/;
const UPDATED = /^Secret updated \(version: (\d+)\)$/;
/** Refusals the log decides at intent time: the write never happened (DESIGN §5, §11). */
const DEFINITE_FAILURES = new Set([400, 404, 409, 413]);

export class HistoryRecorder {
  readonly user: string;
  private readonly client: HistoryClient;
  private readonly timeoutMs: number;
  private readonly recorded: Operation[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private nextId = 0;
  private readonly runTag = randomBytes(3).toString('hex');

  constructor(options: HistoryRecorderOptions) {
    this.user = options.user;
    this.client = options.client ?? v1;
    this.timeoutMs = options.timeoutMs ?? 8_000;
  }

  create(client: string, node: string, key: string): Promise<Operation> {
    const value = this.uniqueValue(client);
    return this.record(client, node, 'create', key, { value }, () =>
      this.client.create(node, this.user, key, value),
    );
  }

  update(client: string, node: string, key: string): Promise<Operation> {
    const value = this.uniqueValue(client);
    return this.record(client, node, 'update', key, { value }, () =>
      this.client.update(node, this.user, key, value),
    );
  }

  read(client: string, node: string, key: string): Promise<Operation> {
    return this.record(client, node, 'read', key, {}, () => this.client.read(node, this.user, key));
  }

  readVersion(client: string, node: string, key: string, version: number): Promise<Operation> {
    return this.record(client, node, 'readVersion', key, { version }, () =>
      this.client.read(node, this.user, key, version),
    );
  }

  delete(client: string, node: string, key: string): Promise<Operation> {
    return this.record(client, node, 'delete', key, {}, () => this.client.remove(node, this.user, key));
  }

  /** Every completed operation so far, in completion order. */
  operations(): readonly Operation[] {
    return this.recorded;
  }

  /** Waits for requests abandoned at their timeout, so nothing outlives the test. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** `c3-op17-<run>-<random>`: unique per write, so any value read names exactly one write. */
  private uniqueValue(client: string): string {
    return `${client}-op${this.nextId}-${this.runTag}-${randomBytes(4).toString('hex')}`;
  }

  private async record(
    client: string,
    node: string,
    op: OperationKind,
    key: string,
    fields: { value?: string; version?: number },
    send: () => Promise<V1Response>,
  ): Promise<Operation> {
    const id = this.nextId++;
    const invokedAt = performance.now();
    const outcome = await this.attempt(op, send);
    const operation: Operation = {
      id,
      client,
      node,
      op,
      key,
      ...fields,
      invokedAt,
      completedAt: performance.now(),
      outcome,
    };
    this.recorded.push(operation);
    return operation;
  }

  private async attempt(op: OperationKind, send: () => Promise<V1Response>): Promise<Outcome> {
    const request = send();
    this.inFlight.add(request);
    void request.then(
      () => this.inFlight.delete(request),
      () => this.inFlight.delete(request),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const response = await Promise.race([request, timeout]);
      if (response === 'timeout') return { type: 'unknown', reason: `no answer within ${this.timeoutMs} ms` };
      return classify(op, response);
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      return {
        type: 'unknown',
        reason: `connection: ${typeof code === 'string' ? code : (error as Error).message}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Maps one v1 response to an outcome (API-V1.md statuses and bodies). */
export function classify(op: OperationKind, response: V1Response): Outcome {
  const { status, body, code } = response;
  if (DEFINITE_FAILURES.has(status)) return { type: 'fail', status, code };
  switch (op) {
    case 'create':
    case 'update': {
      const match = (op === 'create' ? CREATED : UPDATED).exec(body);
      if (status === (op === 'create' ? 201 : 200) && match?.[1])
        return { type: 'ok', version: Number(match[1]) };
      break;
    }
    case 'read':
    case 'readVersion':
      if (status === 200) return { type: 'ok', value: body };
      break;
    case 'delete':
      if (status === 204) return { type: 'ok' };
      break;
  }
  const reason = status === 503 ? 'unavailable' : `unexpected answer: ${status} ${body.slice(0, 80)}`;
  return { type: 'unknown', reason, status, code };
}
