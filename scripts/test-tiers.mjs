// The test tiers: which test file runs in which tier, and how many files of a tier may run at once. The one
// place that says it; scripts/test-tier.mjs runs a tier and refuses to start when a test file matches no tier
// or more than one, so a new test file cannot silently drop out of `npm test`.
//
// Patterns are paths from the project root; `*` matches within one path segment, `**` across segments.
// Classify a file by what it starts (its imports and the helpers under test/testing it uses):
//   unit     no cluster, no child process, no Kafka: pure functions, one SQLite file, one in-process Fastify app.
//   cluster  in-process clusters: DevCluster (test/testing/dev-cluster.ts, v1-fixture.ts) or DsvNode, embedded log.
//   process  anything that starts another process: Kafka brokers, `dsv` CLI/server processes (dsv-process.ts,
//            cli-harness.ts, multi-process-cluster.ts), SoftHSM, moto, PyKMIP, chromium, strace, child `node` writers.
// Budget: `npm run test:unit` stays under two minutes; a slow file there belongs in a later tier.

/**
 * `fileDeadlineSeconds`: how long one test file of the tier may run in all before it is killed and fails (a
 * hang then costs one deadline, not CI's 90 minutes); several times the slowest file seen on a loaded run.
 *
 * `concurrency`: files of the tier run at once (capped by the machine's cores). Each test file is its own
 * process either way; 2 only where nothing is shared between two files run together:
 *   unit     every file works in memory or in its own mkdtemp dir; a server listens on port 0 (the OS picks).
 *   cluster  every cluster's data is an mkdtemp dir, and its ports come from test/testing/free-ports.ts,
 *            which picks them below the OS's ephemeral range: with two files at once, a port probed free in
 *            the ephemeral range was taken by an outgoing connection before the cluster bound it (EADDRINUSE).
 *            (bench/load.test.ts's one cluster takes OS-chosen ports from src/platform: a small window left.)
 *   process  1: a file starts up to three Kafka JVMs, a SoftHSM first use may run apt-get (which takes the
 *            dpkg lock), `readme-path` runs `npm pack` in the checkout; their start-up deadlines were sized for
 *            one such file at a time, and on two cores two of them together mostly wait on each other.
 */
export const tiers = {
  unit: {
    concurrency: 2,
    budgetSeconds: 120,
    fileDeadlineSeconds: 300,
    files: [
      'bench/options.test.ts',
      'bench/stats.test.ts',
      'client/**/*.test.ts',
      'src/audit/*.test.ts',
      'src/cli/client/*.test.ts',
      'src/cluster/coordinator/**/*.test.ts',
      'src/cluster/applier-stall.test.ts',
      'src/cluster/local-shard-holder.test.ts',
      'src/cluster/local-shard-holder-latest.test.ts',
      'src/control/**/*.test.ts',
      'src/errors/**/*.test.ts',
      'src/gateway/**/*.test.ts',
      'src/kernel/**/*.test.ts',
      'src/keys/envelope/**/*.test.ts',
      'src/keys/kek/kmip/ttlv.test.ts',
      'src/keys/kek/local/**/*.test.ts',
      'src/keys/keyring/**/*.test.ts',
      'src/keys/rotation/**/*.test.ts',
      'src/log/embedded/embedded-commit-log.test.ts',
      'src/log/embedded/embedded-recovery.test.ts',
      'src/log/embedded/record-codec.test.ts',
      'src/log/log-pin.test.ts',
      'src/node/**/*.test.ts',
      'src/platform/**/*.test.ts',
      'src/secrets/**/*.test.ts',
      'src/shards/**/*.test.ts',
      'src/sharing/**/*.test.ts',
      'src/trust/**/*.test.ts',
      'test/audit/audit-gateway.test.ts',
      'test/authz/authz-decision.test.ts',
      'test/keys/tenant-kek-layer.test.ts',
      'test/keys/tenant-keks-config.test.ts',
      'test/keys/tenant-key-records.test.ts',
      'test/testing/**/*.test.ts',
    ],
  },
  cluster: {
    concurrency: 2,
    fileDeadlineSeconds: 900,
    files: [
      'bench/load.test.ts',
      'src/cluster/testing/**/*.test.ts',
      'test/adversary/client-side-attacks.test.ts',
      'test/adversary/peer-read-batch-attacks.test.ts',
      'test/adversary/share-refresh-attacks.test.ts',
      'test/adversary/share-refresh-attacks-2.test.ts',
      'test/audit/audit-cluster.test.ts',
      'test/authz/admin-separation-cluster.test.ts',
      'test/authz/admin-separation-attacks.test.ts',
      'test/authz/admin-separation-attacks-2.test.ts',
      'test/authz/authz-http.test.ts',
      'test/authz/authz-regressions.test.ts',
      'test/authz/tokens-policies.test.ts',
      'test/authz/trust-regressions.test.ts',
      'test/client-side/client-side-protocol.test.ts',
      'test/client-side/client-side-v2.test.ts',
      'test/cluster/**/*.test.ts',
      'test/console/console-admin-api.test.ts',
      'test/dev/dev-drain.test.ts',
      'test/faults/cluster-failures.test.ts',
      'test/faults/fault-embedded.test.ts',
      'test/keys/at-rest-scan.test.ts',
      'test/keys/keys-lifecycle.test.ts',
      'test/keys/keys-rotate-immediate.test.ts',
      'test/keys/tenant-keys-cluster.test.ts',
      'test/node/data-dir-modes.test.ts',
      'test/security/peer-auth.test.ts',
      'test/security/input-hardening.test.ts',
      'test/security/peer-mtls.test.ts',
      'test/security/security-regressions.test.ts',
      'test/upgrade/newer-data-dir.test.ts',
      'test/upgrade/previous-release.test.ts',
      'test/v1/v1-concurrency.test.ts',
      'test/v1/v1-env-errors.test.ts',
      'test/v1/v1-env.test.ts',
      'test/v1/v1-names-values.test.ts',
      'test/v1/v1-secrets.test.ts',
      'test/v1/v1-startup.test.ts',
      'test/v1/v1-unavailable.test.ts',
      'test/v1/v1-validation.test.ts',
      'test/v2/**/*.test.ts',
    ],
  },
  process: {
    concurrency: 1,
    fileDeadlineSeconds: 1200,
    files: [
      'bench/fsync-count.test.ts',
      'src/keys/kek/aws-kms/**/*.test.ts',
      'src/keys/kek/kmip/kmip-kek-provider.test.ts',
      'src/keys/kek/pkcs11/**/*.test.ts',
      'src/log/embedded/dir-lock.test.ts',
      'src/log/kafka/**/*.test.ts',
      'test/adversary/fast-clock.test.ts',
      'test/adversary/log-writer.test.ts',
      'test/adversary/stolen-node.test.ts',
      'test/audit/audit-cli.test.ts',
      'test/audit/audit-sink.test.ts',
      'test/authz/admin-separation-process.test.ts',
      'test/cli/**/*.test.ts',
      'test/client-side/client-side-memory-scan.test.ts',
      'test/console/console-browser.test.ts',
      'test/dev/dev-kafka-*.test.ts',
      'test/dev/dsv-dev-cli.test.ts',
      'test/dev/multi-process-kafka.test.ts',
      'test/dev/readme-path.test.ts',
      'test/faults/fault-kafka-*.test.ts',
      'test/keys/dsv-keys-cli.test.ts',
      'test/keys/kek-rotation-cli.test.ts',
      'test/keys/kek-rotation-cluster.test.ts',
      'test/keys/kek-rotation-crash.test.ts',
      'test/keys/tenant-key-providers.test.ts',
      'test/keys/tenant-keys-backup.test.ts',
      'test/node/log-format.test.ts',
      'test/node/log-pin.test.ts',
      'test/node/public-insecure-http.test.ts',
      'test/node/readiness-metrics.test.ts',
      'test/node/sealed-start.test.ts',
      'test/security/security-hardening.test.ts',
      'test/v1/v1-kafka.test.ts',
    ],
  },
};

/** The order `npm test` runs them in: fastest feedback first. */
export const tierOrder = ['unit', 'cluster', 'process'];

/** Where test files live (searched recursively for `*.test.ts`, node_modules skipped). */
export const testRoots = ['src', 'test', 'bench', 'client'];
