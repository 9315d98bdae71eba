// A node's configuration, validated with zod: identity, listeners, cluster membership and parameters.
import { z } from 'zod';
import { tenantKeksConfig } from './tenant-keks-config.ts';

const listen = z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) });

const DEFAULT_LIMITS = {
  maxNameLength: 1024,
  maxValueBytes: 64 * 1024,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
  maxRequestsPerSocket: 1000,
  maxEnvSecrets: 500,
  maxEnvValueBytes: 4 * 1024 * 1024,
  maxAllVersions: 1000,
  minFreeDiskBytes: 64 * 1024 * 1024,
  minFreeDiskRatio: 0.01,
  diskCheckIntervalMs: 1000,
  readyMaxLagRecords: 1000,
};

const DEFAULT_SHARE_REFRESH = {
  graceMs: 30_000,
  timeoutMs: 60_000,
  minIntervalMs: 60_000,
  maxStartsPerSecond: 50,
};

export const nodeConfigSchema = z.object({
  nodeId: z.string().min(1).max(128),
  dataDir: z.string().min(1),
  devMode: z.boolean().default(false),
  publicListen: listen,
  peerListen: listen,
  /** Every node of the cluster (this one included) and the base URL of its peer API. */
  members: z
    .array(
      z.object({
        nodeId: z.string().min(1),
        peerUrl: z.string().url(),
        /** Where clients reach the node's public API: `dsv login` keeps every node's, to fall back on. */
        publicUrl: z.string().url().optional(),
      }),
    )
    .min(1),
  sharing: z.object({
    n: z.number().int().min(1).max(255),
    k: z.number().int().min(1).max(255),
    w: z.number().int().min(1).max(255),
    r: z.number().int().min(0).max(254).default(1),
  }),
  limits: z
    .object({
      // At most what a log record may carry (log-schema.ts `text`): a longer name could never be recorded.
      maxNameLength: z.number().int().min(1).max(1024).default(1024),
      maxValueBytes: z
        .number()
        .int()
        .min(1)
        .max(16 * 1024 * 1024)
        .default(64 * 1024),
      /** Whole request (headers and body) must arrive within this, else 408 and the connection closes. */
      requestTimeoutMs: z.number().int().min(100).default(30_000),
      /** An idle socket (no bytes either way) is closed after this. */
      connectionTimeoutMs: z.number().int().min(100).default(60_000),
      keepAliveTimeoutMs: z.number().int().min(100).default(5_000),
      /** Open connections to the public API; more are refused at accept. */
      maxConnections: z.number().int().min(1).default(1024),
      maxRequestsPerSocket: z.number().int().min(1).default(1000),
      /** Budget of one .env transform: secrets it may read or write, and bytes of values it may resolve. */
      maxEnvSecrets: z.number().int().min(1).default(500),
      maxEnvValueBytes: z
        .number()
        .int()
        .min(1)
        .default(4 * 1024 * 1024),
      /** Versions one v1 `/all` may return; more is refused with DSV_TOO_MANY_VERSIONS. */
      maxAllVersions: z.number().int().min(1).default(1000),
      /**
       * Disk warning (I-C5): below this many free bytes, or this fraction of the file system, on the data dir,
       * the audit dir or a local log dir, /readyz names `disk` and `dsv_disk_state` is 1. Writes still work.
       */
      minFreeDiskBytes: z
        .number()
        .int()
        .min(0)
        .default(64 * 1024 * 1024),
      minFreeDiskRatio: z.number().min(0).max(1).default(0.01),
      /**
       * Disk critical (I-C5): below this many free bytes, or this fraction, new writes are refused with
       * DSV_DISK_FULL (507) before anything is published or staged; reads, deletes and the log keep working.
       * At most the warning thresholds; by default half of them (32 MiB and 0.5% with the default warning).
       */
      criticalFreeDiskBytes: z.number().int().min(0).optional(),
      criticalFreeDiskRatio: z.number().min(0).max(1).optional(),
      /** How often free space is sampled (statfs); a write near a threshold samples again on demand. */
      diskCheckIntervalMs: z.number().int().min(50).default(1000),
      /** /readyz: applied offsets may trail the log's end by at most this many records per partition. */
      readyMaxLagRecords: z.number().int().min(0).default(1000),
    })
    .refine(
      (limits) =>
        (limits.criticalFreeDiskBytes ?? 0) <= limits.minFreeDiskBytes &&
        (limits.criticalFreeDiskRatio ?? 0) <= limits.minFreeDiskRatio,
      {
        message:
          'the critical disk thresholds cannot exceed the warning ones (minFreeDiskBytes, minFreeDiskRatio)',
      },
    )
    .default(DEFAULT_LIMITS),
  timeouts: z
    .object({
      applyMs: z.number().int().min(100).default(10_000),
      peerMs: z.number().int().min(100).default(5_000),
      pendingWriteMs: z.number().int().min(1000).default(30_000),
    })
    .default({ applyMs: 10_000, peerMs: 5_000, pendingWriteMs: 30_000 }),
  membership: z
    .object({
      intervalMs: z.number().int().min(50).default(1000),
      suspectAfterMs: z.number().int().min(100).default(2500),
      failedAfterMs: z.number().int().min(200).default(6000),
    })
    .default({ intervalMs: 1000, suspectAfterMs: 2500, failedAfterMs: 6000 }),
  antiEntropyIntervalMs: z.number().int().min(1000).default(30_000),
  /**
   * Proactive share refresh (issue #9, I-R1). `timeoutMs`, `minIntervalMs` and `maxStartsPerSecond` are
   * enforced by the state machine in log time, so every node must have the same ones (like
   * `timeouts.pendingWriteMs`). `intervalMs` and `tenants` are this node's schedule (absent: on demand
   * only, `dsv keys refresh-shares`); `graceMs` is how long it keeps a superseded generation for reads.
   */
  shareRefresh: z
    .object({
      intervalMs: z.number().int().min(1000).optional(),
      tenants: z.array(z.string().min(1)).optional(),
      graceMs: z.number().int().min(0).default(30_000),
      timeoutMs: z.number().int().min(1000).default(60_000),
      minIntervalMs: z.number().int().min(0).default(60_000),
      maxStartsPerSecond: z.number().int().min(1).default(50),
    })
    .default(DEFAULT_SHARE_REFRESH),
  ...tenantKeksConfig,
  /** Background rewrap after a key rotation: shards per tick and tick interval (the rate limit). */
  rewrap: z
    .object({
      batch: z.number().int().min(1).default(200),
      intervalMs: z.number().int().min(10).default(1000),
    })
    .default({ batch: 200, intervalMs: 1000 }),
  /** Mutual TLS on the peer API (DESIGN §2): cluster CA, this node's certificate and key, PEM files. */
  tls: z
    .object({
      caFile: z.string().min(1),
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
      /** The client certificate (clientAuth only) this node presents when it calls peers (I-G4). */
      clientCertFile: z.string().min(1).optional(),
      clientKeyFile: z.string().min(1).optional(),
      /** Optional: serve the public API over TLS with this certificate and key. */
      publicCertFile: z.string().min(1).optional(),
      publicKeyFile: z.string().min(1).optional(),
    })
    .optional(),
  /** The production commit log (DESIGN §5); `dsv server` opens it, DsvNode is handed the opened log. */
  log: z
    .object({
      kind: z.literal('kafka'),
      bootstrap: z.array(z.string().regex(/^\S+:\d{1,5}$/, 'expected host:port')).min(1),
      topic: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/),
      partitions: z.number().int().min(1).max(10_000),
      replicationFactor: z.number().int().min(1).max(32),
      minInsyncReplicas: z.number().int().min(1).max(32),
      /** TLS to the brokers: the CA that issued their certificates; a client certificate for mutual TLS. */
      tls: z
        .object({
          caFile: z.string().min(1),
          certFile: z.string().min(1).optional(),
          keyFile: z.string().min(1).optional(),
        })
        .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
          message: 'certFile and keyFile go together',
        })
        .optional(),
      /** SASL/SCRAM: this node's own Kafka user (one per node) and a 0600 file holding its password. */
      sasl: z
        .object({
          mechanism: z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512']),
          username: z.string().min(1),
          passwordFile: z.string().min(1),
        })
        .optional(),
    })
    .refine((log) => log.minInsyncReplicas <= log.replicationFactor, {
      message: 'minInsyncReplicas cannot exceed replicationFactor',
    })
    .optional(),
});

export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
export type NodeLimits = NodeConfig['limits'];

/** The disk thresholds of a node's limits (I-C5): critical defaults to half the warning. */
export function diskThresholds(limits: NodeLimits): {
  warnFreeBytes: number;
  warnFreeRatio: number;
  criticalFreeBytes: number;
  criticalFreeRatio: number;
} {
  return {
    warnFreeBytes: limits.minFreeDiskBytes,
    warnFreeRatio: limits.minFreeDiskRatio,
    criticalFreeBytes: limits.criticalFreeDiskBytes ?? Math.floor(limits.minFreeDiskBytes / 2),
    criticalFreeRatio: limits.criticalFreeDiskRatio ?? limits.minFreeDiskRatio / 2,
  };
}
