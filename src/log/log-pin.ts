// The log a node follows is pinned (I-L8): on first start the node stores the log's identity in its database;
// later it refuses to serve (503 DSV_LOG_IDENTITY_CHANGED) when the identity differs — another Kafka cluster, a
// recreated topic, another embedded directory — or when a partition ends below what the node already applied.
import { migrateSchema } from '../platform/schema-migrations.ts';
import type { DatabaseSync } from 'node:sqlite';
import { DsvError, isDsvError } from '../errors/index.ts';
import type { CommitLog, LogIdentity } from './commit-log.ts';

/** How often a running node checks the pin again (DESIGN trust boundaries §9). */
export const LOG_PIN_INTERVAL_MS = 5000;

const SCHEMA = `CREATE TABLE IF NOT EXISTS log_pin (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cluster_id TEXT NOT NULL,
  topic_id TEXT NOT NULL,
  pinned_at INTEGER NOT NULL
) STRICT`;

/**
 * Stores the log's identity on the first call; afterwards throws DsvError('DSV_LOG_IDENTITY_CHANGED') when it
 * differs, or when any partition's end offset is below `applied(partition)` (the node's next offset to apply).
 * DSV_LOG_UNAVAILABLE when the log cannot be asked.
 */
export async function checkLogPin(
  db: DatabaseSync,
  log: CommitLog,
  applied: (partition: number) => number,
): Promise<void> {
  migrateSchema(db, 'log-pin', [(migrating) => migrating.exec(SCHEMA)]);
  // Applied offsets first: they only grow, so a later end offset of the same log is never below them.
  const appliedNow = Array.from({ length: log.partitionCount }, (_, partition) => applied(partition));
  const current = await log.identity();
  const row = db.prepare('SELECT cluster_id, topic_id FROM log_pin WHERE id = 1').get() as
    { cluster_id: string; topic_id: string } | undefined;
  if (row === undefined) {
    db.prepare('INSERT INTO log_pin (id, cluster_id, topic_id, pinned_at) VALUES (1, ?, ?, ?)').run(
      current.clusterId,
      current.topicId,
      Date.now(),
    );
  } else if (row.cluster_id !== current.clusterId || row.topic_id !== current.topicId) {
    const pinned: LogIdentity = { clusterId: row.cluster_id, topicId: row.topic_id };
    throw new DsvError(
      'DSV_LOG_IDENTITY_CHANGED',
      `The commit log is not the one this node follows: pinned cluster ${pinned.clusterId} topic ` +
        `${pinned.topicId}, found cluster ${current.clusterId} topic ${current.topicId}. Restore the original ` +
        `log, or rebuild this node's data directory to follow the new one.`,
      {
        details: {
          pinnedClusterId: pinned.clusterId,
          pinnedTopicId: pinned.topicId,
          clusterId: current.clusterId,
          topicId: current.topicId,
        },
      },
    );
  }
  for (let partition = 0; partition < log.partitionCount; partition++) {
    const end = await log.endOffset(partition);
    const next = appliedNow[partition] ?? 0;
    if (end < next) {
      throw new DsvError(
        'DSV_LOG_IDENTITY_CHANGED',
        `Commit log partition ${partition} ends at offset ${end}, but this node has applied up to ${next}: ` +
          `records it applied are gone from the log (truncated or replaced). Restore the log, or rebuild this ` +
          `node's data directory.`,
        { details: { partition, endOffset: end, applied: next } },
      );
    }
  }
}

/** A hook-capable server (Fastify): the pin refuses requests once broken and stops with the server. */
interface GuardedServer {
  addHook(name: 'onRequest', hook: () => Promise<void>): unknown;
  addHook(name: 'onClose', hook: () => Promise<void>): unknown;
}

/**
 * The pin of a running node: checked at start (throws), then every `intervalMs`; once a check finds the log
 * changed, every request to a guarded server is refused with that error (503 DSV_LOG_IDENTITY_CHANGED) until
 * restart. A log that cannot be reached for a check is not a change: the next check tries again.
 */
export class LogPin {
  readonly #check: () => Promise<void>;
  readonly #onBroken: (error: DsvError) => void;
  #failure: DsvError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking = false;

  private constructor(check: () => Promise<void>, onBroken: (error: DsvError) => void) {
    this.#check = check;
    this.#onBroken = onBroken;
  }

  /** Checks the pin now (rejects with DSV_LOG_IDENTITY_CHANGED, the node must not start) and returns it. */
  static async check(
    db: DatabaseSync,
    log: CommitLog,
    applied: (partition: number) => number,
    onBroken: (error: DsvError) => void = () => undefined,
  ): Promise<LogPin> {
    const check = () => checkLogPin(db, log, applied);
    await check();
    return new LogPin(check, onBroken);
  }

  /** The error every request gets once the log changed under the running node. */
  get failure(): DsvError | undefined {
    return this.#failure;
  }

  /** Checks again now; resolves either way (a broken pin is remembered in `failure`). */
  async recheck(): Promise<void> {
    if (this.#checking || this.#failure !== undefined) return;
    this.#checking = true;
    try {
      await this.#check();
    } catch (error) {
      if (isDsvError(error) && error.code === 'DSV_LOG_IDENTITY_CHANGED') {
        this.#failure = error;
        this.#onBroken(error);
      }
    } finally {
      this.#checking = false;
    }
  }

  /** Starts the periodic check and makes `servers` refuse every request once the pin is broken. */
  guard(servers: readonly GuardedServer[], intervalMs = LOG_PIN_INTERVAL_MS): void {
    for (const server of servers) {
      server.addHook('onRequest', async () => {
        if (this.#failure !== undefined) throw this.#failure;
      });
      server.addHook('onClose', async () => this.stop());
    }
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.recheck(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
