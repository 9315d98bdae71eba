// One DSV node: composes the contexts (the only place that picks adapters) and runs them until stopped.
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  buildPeerServer,
  Coordinator,
  type InProcessPeers,
  LocalShardHolder,
  LogApplier,
  Membership,
  type RemoteShardHolder,
  runAntiEntropy,
  startPendingSweeper,
  startShareRefreshUpkeep,
  type ShardHolder,
} from '../cluster/index.ts';
import { refreshLimits, wireShareRefresh } from './share-refresh-wiring.ts';
import {
  BearerAuthenticator,
  buildPublicServer,
  DEV_TENANT,
  RateLimitedAuthenticator,
  type DevControl,
} from '../gateway/index.ts';
import { LogPin, type CommitLog } from '../log/index.ts';
import { AuditPathHasher, JsonlAuditSink, loadOrCreateAuditSecret, type AuditSink } from '../audit/index.ts';
import { ControlStore, TokenAuthenticator } from '../control/index.ts';
import { ApprovalAuditing } from './approval-audit-records.ts';
import { DsvError } from '../errors/index.ts';
import { RewrapWorker } from '../keys/index.ts';
import { LogCodec, RecordAuthority, SecretStateMachine } from '../secrets/index.ts';
import { SignatureVerifier, type TrustMaterial } from '../trust/index.ts';
import { controlPartitionOf, holdersFor, partitionForTenant, scheduleRecovery } from '../cluster/index.ts';
import type { SecretKey } from '../secrets/index.ts';
import type { VersionInfo } from '../view/index.ts';
import { SqliteShardStore } from '../shards/index.ts';
import { tenantKeyAccess, type OpenedSealer, type SealerFactory } from './sealers.ts';
import { ViewStore } from '../view/index.ts';
import { openNodeDatabase } from '../platform/node-database.ts';
import { checkDatabaseFormat, stampDatabaseFormat } from '../platform/schema-migrations.ts';
import { nodeConfigSchema, type NodeConfig, type NodeConfigInput } from './node-config.ts';
import { nodeStatus, clusterFigures } from './node-status.ts';
import { NodeMetrics, type MetricsSources } from './node-metrics.ts';
import { checkReadiness, STALLED_APPLY_MS } from './readiness.ts';
import { DiskWatch } from './disk-watch.ts';
import { diskThresholds } from './node-config.ts';
import { remoteHolders } from './remote-holders.ts';
import { loadNodeTls, requireMemberCertificate } from './tls/index.ts';
import { closeDraining } from '../platform/fastify-options.ts';

export interface NodeDependencies {
  readonly log: CommitLog;
  readonly logger: Logger;
  /** This node's keys, the cluster manifest it trusts and the log key (trust-boundaries design §1). */
  readonly trust: TrustMaterial;
  /** Builds the at-rest sealer once the node's database is open (keys context, DESIGN §8). */
  readonly sealer: SealerFactory;
  readonly devControl?: DevControl;
  /**
   * I-T4 dev path: every root token holds a standing approval (root acts as before admin separation). Set by
   * the in-process dev cluster (`dsv dev`, `DevCluster`) and by `dsv server` only on a devMode node (`dsv dev
   * --kafka`); a production config (devMode false) never has it.
   */
  readonly devStandingApproval?: boolean;
  /** Test seam: decorate each peer holder (seeded fault injection: dropped and delayed messages). */
  readonly wrapPeer?: (holder: ShardHolder, from: string) => ShardHolder;
  /**
   * The other nodes of this process (`dsv dev`): peer calls to them skip the peer API's HTTP (issue #10).
   * This node attaches its own holder here while it runs.
   */
  readonly inProcessPeers?: InProcessPeers;
  /** Test seam: decorate the audit sink (a failing audit disk). */
  readonly wrapAuditSink?: (sink: AuditSink) => AuditSink;
  /** The commit log's local directory, when it has one (the embedded log): its disk is watched too (I-C5). */
  readonly logDir?: string;
}

interface Running {
  readonly shards: SqliteShardStore;
  readonly detachInProcess: () => void;
  readonly db: DatabaseSync;
  readonly auditSink: JsonlAuditSink;
  readonly sealer: OpenedSealer;
  readonly rewrap: RewrapWorker | undefined;
  readonly applier: LogApplier;
  readonly membership: Membership;
  readonly remotes: RemoteShardHolder[];
  readonly publicServer: FastifyInstance;
  readonly peerServer: FastifyInstance;
  readonly stopSweeper: () => void;
  readonly antiEntropy: AbortController;
  readonly coordinator: Coordinator;
  readonly metrics: NodeMetrics;
  readonly refreshMetrics: () => void;
}

export class DsvNode {
  readonly config: NodeConfig;
  private readonly deps: NodeDependencies;
  private running: Running | undefined;

  constructor(config: NodeConfigInput, deps: NodeDependencies) {
    this.config = nodeConfigSchema.parse(config);
    this.deps = deps;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  get publicUrl(): string {
    const scheme = this.config.tls?.publicCertFile === undefined ? 'http' : 'https';
    return `${scheme}://${this.config.publicListen.host}:${this.config.publicListen.port}`;
  }

  /** Runs one rewrap pass now (tests and `dsv keys status --wait` use the background one). */
  async rewrapNow(): Promise<number> {
    return (await this.running?.rewrap?.tick()) ?? 0;
  }

  /** Recomputes the periodic gauges now (versions, data keys, shards per DEK) instead of at the next 15 s tick. */
  refreshMetrics(): void {
    this.running?.refreshMetrics();
  }

  get coordinator(): Coordinator | undefined {
    return this.running?.coordinator;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { config, deps } = this;
    const logger = deps.logger.child({ node: config.nodeId });
    // Loaded before anything opens: a node with broken TLS files never starts (DESIGN §2, mutual TLS).
    const tls = config.tls ? loadNodeTls(config.tls) : undefined;
    for (const warning of tls?.warnings ?? []) logger.warn(warning);
    const dbPath = join(config.dataDir, 'node.sqlite');
    const db = openNodeDatabase(dbPath);
    const metrics = new NodeMetrics(config.nodeId);
    let sealer: OpenedSealer | undefined;
    // What a start that fails half-way must undo, newest first (a port in use must not leave loops running).
    const undo: Array<() => Promise<unknown>> = [];
    let auditSink: JsonlAuditSink | undefined;
    try {
      // Issue #13: a database written by a newer DSV is refused before any context migrates anything.
      checkDatabaseFormat(db, dbPath);
      const view = new ViewStore(db);
      // I-L8: the log this node follows is pinned; a replaced or truncated log refuses start-up (and serving).
      const logPin = await LogPin.check(
        db,
        deps.log,
        (p) => view.applied(p).nextOffset,
        (error) => logger.error({ err: error }, 'the commit log changed under this node; refusing to serve'),
      );
      sealer = await deps.sealer(db, config, view);
      const keyring = sealer.keyring;
      const control = new ControlStore(db, config.nodeId);
      const nodeIds = config.members.map((member) => member.nodeId);
      const placement = (key: { tenant: string; namespace: string; name: string }) =>
        holdersFor(key, nodeIds, config.sharing.n);
      const signer = { signer: config.nodeId, privateKey: deps.trust.identity.signingKey };
      // The nodes of one process (`dsv dev`) open each record once between them (issue #10).
      const shareDecodes = deps.inProcessPeers !== undefined;
      const codec = new LogCodec(deps.trust.manifest, deps.trust.logKey, signer, { shareDecodes });
      const refusedOnce = new Set<string>();
      const refusedRecords: Array<{
        partition: number;
        offset: number;
        reason: string;
        signer: string | undefined;
      }> = [];
      const shards = new SqliteShardStore(db, sealer.sealer, config.nodeId);
      const approvals = new ApprovalAuditing(control); // I-T4c: each applied approval in this node's trail
      const machine = new SecretStateMachine(view, shards, {
        pendingTimeoutMs: config.timeouts.pendingWriteMs,
        control: approvals,
        refresh: refreshLimits(config, deps.log.partitionCount), // I-R1: identical on every node
        // I-T3: only records with the authority they claim take effect; the rest are counted no-ops (I-L6).
        authority: new RecordAuthority(
          new SignatureVerifier(deps.trust.manifest),
          { quorum: config.sharing.k, writeQuorum: config.sharing.w, placement },
          view,
        ),
        onRefused: (partition, offset, reason, signer) => {
          // Every refused record lands in this node's audit trail (threat model: each try is recorded by
          // the honest nodes); the process log says it once per reason.
          refusedRecords.push({ partition, offset, reason, signer }); // metrics: view.rejectedRecords()
          if (refusedOnce.has(reason)) return;
          refusedOnce.add(reason);
          if (reason === 'newer-format')
            logger.error(
              { partition, offset, reason },
              'the log holds a record written by a newer DSV; upgrade this node (logged once)',
            );
          else logger.warn({ partition, offset, reason }, 'refused a log record (logged once per reason)');
        },
        ...(keyring
          ? { keys: { destroyTenantKeys: (tenant: string) => void keyring.destroyTenant(tenant) } }
          : {}),
      });
      const rewrap = keyring ? new RewrapWorker(shards, keyring, logger, config.rewrap) : undefined;
      const applier = new LogApplier(deps.log, view, machine, codec, logger, () => shards.flush());
      stampDatabaseFormat(db); // every context has migrated its tables by now
      applier.start();
      undo.push(() => applier.stop());
      const auditDir = join(config.dataDir, 'audit');
      auditSink = await JsonlAuditSink.open({ dir: auditDir, node: config.nodeId });
      // I-C5: free space of everything this node writes; past critical, writes and stages are refused.
      const diskWatch = new DiskWatch({
        paths: [
          { role: 'data', path: config.dataDir },
          { role: 'audit', path: auditDir },
          ...(deps.logDir === undefined ? [] : [{ role: 'log' as const, path: deps.logDir }]),
        ],
        thresholds: diskThresholds(config.limits),
        intervalMs: config.limits.diskCheckIntervalMs,
        onChange: (state, samples) =>
          logger[state === 'ok' ? 'info' : 'warn'](
            { disk: samples.map((s) => ({ path: s.role, state: s.state, freeBytes: s.freeBytes })) },
            state === 'critical' ? 'disk critical: writes are refused' : `disk ${state}`,
          ),
        onRefused: () => metrics.diskWritesRefused.inc(),
      });
      await diskWatch.start();
      undo.push(async () => diskWatch.stop());
      metrics.attachDisk(() => diskWatch.samples);
      const audit = {
        sink: metrics.timedAudit(deps.wrapAuditSink ? deps.wrapAuditSink(auditSink) : auditSink),
        hasher: new AuditPathHasher(await loadOrCreateAuditSecret(auditDir)),
        dir: auditDir, // the console reads a secret's trail from it (src/gateway/console/console-audit.ts)
      };
      const auditRefusals = setInterval(() => {
        approvals.flush(audit.sink);
        for (const refused of refusedRecords.splice(0)) {
          void audit.sink
            .append({
              requestId: `log-${refused.partition}-${refused.offset}`,
              tenant: null,
              accessor: refused.signer === undefined ? null : `node:${refused.signer}`,
              operation: `log.record-refused.${refused.reason}`,
              pathHmac: null,
              outcome: 'denied',
              status: 403,
            })
            .catch(() => undefined);
        }
      }, 250);
      auditRefusals.unref();
      const tokens = new TokenAuthenticator({
        store: control,
        catchUp: () => applier.catchUp(controlPartitionOf(deps.log.partitionCount), config.timeouts.applyMs),
        maxStalenessMs: 1000,
        defaultTenant: DEV_TENANT,
        allowAnonymous: config.devMode,
        devStandingApproval: deps.devStandingApproval === true,
        scope: { clusterId: deps.trust.manifest.clusterId, nodeId: config.nodeId },
        isShredded: (tenant) => view.isShredded(tenant),
      });
      let onMissingShard: (key: SecretKey, info: VersionInfo) => void = () => undefined;
      const local = new LocalShardHolder({
        maxValueBytes: config.limits.maxValueBytes,
        applier,
        view,
        shards,
        applyTimeoutMs: config.timeouts.applyMs,
        trust: deps.trust,
        placement,
        threshold: config.sharing.k,
        authenticate: (credential, tenant) => tokens.authenticateForwarded(credential, tenant),
        tokenOf: (accessor) => control.tokenByAccessor(accessor),
        tenantHasBootstrap: (tenant) => control.tenantHasBootstrap(tenant),
        audit: async (record) => void (await audit.sink.append(record)),
        pathHmac: (key) => audit.hasher.pathHmac(key.tenant, key.namespace, key.name),
        onMissingShard: (key, info) => onMissingShard(key, info),
        admitStage: () => diskWatch.admitWrite(),
        partitionOf: (tenant) => partitionForTenant(tenant, deps.log.partitionCount),
      });
      const remotes = remoteHolders(config, deps.trust.identity.peerToken, tls);
      const wrap = deps.wrapPeer ?? ((holder: ShardHolder) => holder);
      const holders = new Map<string, ShardHolder>([
        [config.nodeId, metrics.timedHolder(local, config.nodeId)],
        ...remotes.map((remote) => {
          const peer = deps.inProcessPeers?.holderFor(remote.nodeId, config.nodeId) ?? remote;
          return [remote.nodeId, metrics.timedHolder(wrap(peer, config.nodeId), remote.nodeId)] as const;
        }),
      ]);
      const membership = new Membership(remotes, config.membership);
      const shareRefresh = wireShareRefresh({
        ...{ config, trust: deps.trust, applier, view, shards, placement, remotes, audit },
        inProcessPeers: deps.inProcessPeers,
      });
      const context = {
        nodeId: config.nodeId,
        params: { nodeIds: config.members.map((member) => member.nodeId), ...config.sharing },
        timeouts: config.timeouts,
        log: metrics.timedLog(deps.log),
        applier,
        view,
        shards,
        holders,
        membership,
        logger,
        control,
        codec,
        trust: deps.trust,
        refresh: shareRefresh.refresh,
        ...tenantKeyAccess(sealer),
      };
      onMissingShard = (key, info) => {
        if (diskWatch.state === 'critical') return; // a repair writes a shard: not on a full disk (I-C5)
        metrics.recoveries.inc();
        scheduleRecovery(context, key, info);
      };
      const metricSources: MetricsSources = {
        partitions: deps.log.partitionCount,
        applied: (partition) => applier.nextOffset(partition),
        endOffset: (partition) => deps.log.endOffset(partition),
        rejectedRecords: () => view.rejectedRecords(),
        dataKeys: () => {
          const counts = view.tenants().map((tenant) => keyring?.list(tenant).length ?? 0);
          return {
            tenants: counts.filter((count) => count > 0).length,
            keys: counts.reduce((a, b) => a + b, 0),
          };
        },
        keyUsage: () => shards.keyUsage(),
        activeKeys: () =>
          keyring === undefined
            ? []
            : view.tenants().flatMap((tenant) => {
                const keyId = keyring.activeKeyId(tenant);
                return keyId === undefined ? [] : [{ tenant, keyId }];
              }),
      };
      metrics.attach(metricSources);
      const refreshMetrics = () => {
        try {
          metrics.refresh(db, config.sharing.n, metricSources);
        } catch (error) {
          logger.debug({ err: error }, 'metrics refresh failed');
        }
      };
      refreshMetrics();
      const metricsTimer = setInterval(refreshMetrics, 15_000);
      metricsTimer.unref();
      const openAuditSink = auditSink;
      let sealed = false;
      let lastReady: { ready: boolean; reasons: string[] } | undefined;
      const readiness = () =>
        checkReadiness({
          partitions: deps.log.partitionCount,
          controlPartition: controlPartitionOf(deps.log.partitionCount),
          endOffset: (partition) => deps.log.endOffset(partition),
          applied: (partition) => applier.nextOffset(partition),
          kekOpen: () => !sealed, // the sealer opened above (a node that cannot unseal never starts)
          healthyPeers: () => membership.statuses().filter((peer) => peer.health === 'healthy').length,
          peersNeeded: Math.max(0, config.sharing.w - 1),
          auditFailed: () => openAuditSink.failed || metrics.auditLastFailed,
          logTimeoutMs: Math.min(1000, config.timeouts.applyMs),
          maxLagRecords: config.limits.readyMaxLagRecords,
          stalledApply: () => applier.stalled(STALLED_APPLY_MS),
          disk: () => diskWatch.readiness(),
        }).then((answer) => {
          lastReady = { ready: answer.ready, reasons: answer.reasons };
          return answer;
        });
      // Peers learn this node's readiness from its health answer (`dsv status` shows every node's).
      const readinessTimer = setInterval(() => void readiness().catch(() => undefined), 1000);
      readinessTimer.unref();
      const coordinator = new Coordinator(context, () => diskWatch.admitWrite());
      const peerServer = buildPeerServer({
        holder: local,
        refresh: shareRefresh.holder,
        manifest: deps.trust.manifest,
        isRevoked: (nodeId) => view.isNodeRevoked(nodeId),
        logger,
        health: () => ({
          nodeId: config.nodeId,
          applied: appliedOffsets(applier, deps.log.partitionCount),
          ready: lastReady,
        }),
        ...(tls ? { https: tls.peer } : {}),
      });
      // With TLS: a CA-signed client certificate that also names a member, beside the peer token (I-G1).
      if (tls) requireMemberCertificate(peerServer, new Set(config.members.map((member) => member.nodeId)));
      const publicServer = await buildPublicServer({
        audit,
        coordinator,
        authenticator: new RateLimitedAuthenticator(
          new BearerAuthenticator(tokens),
          (tenant) => view.quota(tenant).requestsPerSecond,
        ),
        limits: config.limits,
        logger,
        bodyLimitBytes: Math.max(1024 * 1024, config.limits.maxValueBytes * 4 + 65536),
        clusterStatus: () => clusterFigures(config.members.length, membership),
        nodeStatus: () =>
          nodeStatus(config, applier, deps.log.partitionCount, membership, shards, view, lastReady ?? null),
        keyStatus: async () => ({ nodeId: config.nodeId, tenants: (await rewrap?.settledStatus()) ?? [] }),
        readiness,
        clientHolder: local,
        clusterNodes: () =>
          config.members.flatMap((member) => {
            const url = member.nodeId === config.nodeId ? this.publicUrl : member.publicUrl;
            return url === undefined ? [] : [{ nodeId: member.nodeId, url }];
          }),
        metrics: {
          contentType: metrics.registry.contentType,
          text: () => metrics.registry.metrics(),
          observe: (method, route, status, seconds) => {
            const labels = { method, route, status: String(status) };
            metrics.httpRequests.inc(labels);
            metrics.httpDuration.observe(labels, seconds);
          },
        },
        ...(deps.devControl && config.devMode ? { devControl: deps.devControl } : {}),
        devMode: config.devMode,
        ...(tls?.public ? { https: tls.public } : {}),
      });
      logPin.guard([publicServer, peerServer]);
      undo.push(
        () => closeDraining(peerServer),
        () => closeDraining(publicServer),
      );
      await peerServer.listen(config.peerListen);
      await publicServer.listen(config.publicListen);
      membership.start();
      rewrap?.start();
      const antiEntropy = new AbortController();
      const inProcess = {
        holder: local,
        refresh: shareRefresh.holder,
        admit: (caller: string) => {
          if (logPin.failure !== undefined) throw logPin.failure;
          if (view.isNodeRevoked(caller)) throw new DsvError('DSV_PEER_REJECTED');
        },
      };
      deps.inProcessPeers?.attach(config.nodeId, inProcess);
      this.running = {
        shards,
        detachInProcess: () => deps.inProcessPeers?.detach(config.nodeId, inProcess),
        db,
        auditSink,
        sealer,
        rewrap,
        applier,
        membership,
        remotes,
        publicServer,
        peerServer,
        stopSweeper: ((stopTicks, stopRefresh) => () => {
          stopTicks();
          stopRefresh();
          coordinator.stopRefreshing();
          clearInterval(auditRefusals);
          clearInterval(metricsTimer);
          clearInterval(readinessTimer);
          diskWatch.stop();
          sealed = true;
        })(startPendingSweeper(context, 2000), startShareRefreshUpkeep(context)),
        antiEntropy,
        coordinator,
        metrics,
        refreshMetrics,
      };
      this.scheduleAntiEntropy(context, antiEntropy.signal, metrics, () => diskWatch.state === 'critical');
    } catch (error) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      await auditSink?.close();
      await sealer?.close();
      db.close();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    running.detachInProcess(); // peers in this process now find it stopped, as they would a closed port
    running.antiEntropy.abort();
    running.rewrap?.stop();
    running.stopSweeper();
    running.membership.stop();
    // In-flight requests are answered (bounded drain, then cut) while the applier and the log still run.
    await Promise.allSettled([closeDraining(running.publicServer), closeDraining(running.peerServer)]);
    await running.applier.stop();
    await Promise.allSettled(running.remotes.map((remote) => remote.close()));
    await running.auditSink.close();
    await running.sealer.close();
    await running.shards.close();
    running.db.close();
  }

  /** After replay, and then periodically, restore the shards this node should hold (DESIGN §7.5). */
  private scheduleAntiEntropy(
    context: ConstructorParameters<typeof Coordinator>[0],
    signal: AbortSignal,
    metrics: NodeMetrics,
    diskCritical: () => boolean,
  ): void {
    const run = async () => {
      if (diskCritical()) return; // repairs write shards: wait until the disk has room again (I-C5)
      try {
        for (let partition = 0; partition < context.log.partitionCount; partition++) {
          await context.applier.catchUp(partition, context.timeouts.applyMs);
        }
        const report = await runAntiEntropy(context, signal);
        metrics.antiEntropyPasses.inc();
        metrics.antiEntropyMissing.inc(report.missing);
        metrics.antiEntropyRepaired.inc(report.repaired);
        if (report.missing > 0) context.logger.info(report, 'anti-entropy pass');
      } catch (error) {
        if (!signal.aborted) context.logger.warn({ err: error }, 'anti-entropy pass failed');
      }
    };
    // Give peers a moment to be seen by membership before the first pass.
    const first = setTimeout(() => void run(), Math.min(3000, this.config.membership.intervalMs * 2));
    const timer = setInterval(() => void run(), this.config.antiEntropyIntervalMs);
    first.unref();
    timer.unref();
    signal.addEventListener('abort', () => {
      clearTimeout(first);
      clearInterval(timer);
    });
  }
}

function appliedOffsets(applier: LogApplier, partitions: number): number[] {
  return Array.from({ length: partitions }, (_, partition) => applier.nextOffset(partition));
}
