// `dsv dev`: N nodes in one process over one embedded commit log, each with real HTTP on loopback (§9).
import type { KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { DsvError } from '../errors/index.ts';
import { type DevControl } from '../gateway/index.ts';
import { EmbeddedCommitLog } from '../log/index.ts';
import { controlPartitionOf, InProcessPeers } from '../cluster/index.ts';
import { defaultSharingParams, type SharingParams } from './cluster-defaults.ts';
import { DsvNode, type NodeDependencies } from './dsv-node.ts';
import { breakGlass, mintRootToken, type BreakGlassRequest } from './operator-records.ts';
import { looksLikeToken } from '../control/index.ts';
import {
  ensureDevTrust,
  loadOperatorKey,
  loadTrustMaterial,
  tokenVerifiers,
  type TrustMaterial,
} from '../trust/index.ts';
import type { NodeConfigInput } from './node-config.ts';

const DEV_ROOT_NAME = 'dev root';

export interface DevClusterOptions {
  readonly nodes: number;
  /** Node i serves its public API on basePort + i and its peer API on peerBasePort + i. */
  readonly basePort: number;
  readonly peerBasePort?: number;
  readonly dataDir: string;
  readonly host?: string;
  readonly partitions?: number;
  readonly sharing?: SharingParams;
  readonly logger: Logger;
  readonly sealer: NodeDependencies['sealer'];
  readonly pendingWriteMs?: number;
  readonly membershipIntervalMs?: number;
  readonly wrapPeer?: NodeDependencies['wrapPeer'];
  /** How nodes reach each other: in-process calls (default) or their peer APIs over HTTP, as separate processes do. */
  readonly peerTransport?: 'in-process' | 'http';
  readonly wrapAuditSink?: NodeDependencies['wrapAuditSink'];
  /** false runs the nodes as production nodes (no anonymous v1), for tests of authentication. */
  readonly devMode?: boolean;
  /**
   * I-T4 dev path (default true): root tokens hold a standing approval on every tenant, so `dsv dev` keeps
   * its simple path. false: root is separated from tenant data as on `dsv server`.
   */
  readonly standingApproval?: boolean;
  /** Node config `limits` (timeouts, connection cap, request budgets); defaults otherwise. */
  readonly limits?: NodeConfigInput['limits'];
  /** Node config `shareRefresh` (proactive refresh: schedule, grace, log-time limits); defaults otherwise. */
  readonly shareRefresh?: NodeConfigInput['shareRefresh'];
}

export class DevCluster implements DevControl {
  readonly nodesById = new Map<string, DsvNode>();
  private readonly log: EmbeddedCommitLog;
  private readonly trust: TrustMaterial;
  private readonly operatorKey: KeyObject;

  private constructor(log: EmbeddedCommitLog, trust: TrustMaterial, operatorKey: KeyObject) {
    this.log = log;
    this.trust = trust;
    this.operatorKey = operatorKey;
  }

  static async start(options: DevClusterOptions): Promise<DevCluster> {
    const dataDir = resolve(options.dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // node data, log and keys: owner only
    const host = options.host ?? '127.0.0.1';
    const peerBasePort = options.peerBasePort ?? options.basePort + 1000;
    const sharing = options.sharing ?? defaultSharingParams(options.nodes);
    const log = await EmbeddedCommitLog.open({
      dir: join(dataDir, 'log'),
      partitionCount: options.partitions ?? 5,
    });
    const members = Array.from({ length: options.nodes }, (_, i) => ({
      nodeId: `node-${i}`,
      peerUrl: `http://${host}:${peerBasePort + i}`,
      publicUrl: `http://${host}:${options.basePort + i}`,
    }));
    // The dev cluster's keys live in its data dir (made once, kept): per-node identities and peer tokens, the
    // log key, and the operator key that mints the dev root token (the simple dev path, design §1).
    const trustDir = join(dataDir, 'trust');
    ensureDevTrust(
      trustDir,
      members.map((member) => member.nodeId),
    );
    const cluster = new DevCluster(
      log,
      loadTrustMaterial(join(trustDir, 'node-0')),
      loadOperatorKey(trustDir),
    );
    // One process: peer calls go straight to the called node's holder (issue #10); the peer API still runs.
    const inProcessPeers = options.peerTransport === 'http' ? undefined : new InProcessPeers();
    for (const [i, member] of members.entries()) {
      const node = new DsvNode(
        {
          nodeId: member.nodeId,
          dataDir: join(dataDir, member.nodeId),
          devMode: options.devMode ?? true,
          publicListen: { host, port: options.basePort + i },
          peerListen: { host, port: peerBasePort + i },
          members,
          sharing,
          ...(options.limits ? { limits: options.limits } : {}),
          ...(options.shareRefresh ? { shareRefresh: options.shareRefresh } : {}),
          ...(options.pendingWriteMs
            ? { timeouts: { applyMs: 10_000, peerMs: 5_000, pendingWriteMs: options.pendingWriteMs } }
            : {}),
          ...(options.membershipIntervalMs
            ? {
                membership: {
                  intervalMs: options.membershipIntervalMs,
                  suspectAfterMs: options.membershipIntervalMs * 2.5,
                  failedAfterMs: options.membershipIntervalMs * 6,
                },
              }
            : {}),
        },
        {
          log,
          logger: options.logger,
          trust: loadTrustMaterial(join(trustDir, member.nodeId)),
          sealer: options.sealer,
          devControl: cluster,
          // I-T4 dev path: the dev root token's standing approval (README "Admin separation").
          devStandingApproval: options.standingApproval ?? true,
          ...(inProcessPeers ? { inProcessPeers } : {}),
          ...(options.wrapPeer ? { wrapPeer: options.wrapPeer } : {}),
          ...(options.wrapAuditSink ? { wrapAuditSink: options.wrapAuditSink } : {}),
          logDir: join(dataDir, 'log'),
        },
      );
      cluster.nodesById.set(member.nodeId, node);
    }
    try {
      // allSettled: a node that fails fast must not leave the others still starting, and then running, after
      // the cluster was stopped (their files stay locked in this process).
      const started = await Promise.allSettled([...cluster.nodesById.values()].map((node) => node.start()));
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      await cluster.awaitMembership(10_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Ready means every running node has seen every other running node answer (bounded wait). */
  async awaitMembership(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const running = [...this.nodesById.values()].filter((node) => node.isRunning);
    const ids = new Set(running.map((node) => node.config.nodeId));
    while (Date.now() < deadline) {
      const allSeen = running.every((node) =>
        (node.coordinator?.context.membership.statuses() ?? [])
          .filter((peer) => ids.has(peer.nodeId))
          .every((peer) => peer.health === 'healthy'),
      );
      if (allSeen) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * A fresh root token for this run (printed once by `dsv dev`); earlier dev root tokens are revoked, so only
   * the latest printed one works. The default tenant exists, so tenant tokens can be made for it.
   * `fixedToken` (`dsv dev --root-token`) is used instead, and kept as is when it is already the active one.
   */
  async issueDevRootToken(fixedToken?: string): Promise<string> {
    const running = [...this.nodesById.values()].filter((node) => node.isRunning);
    const coordinator = running[0]?.coordinator;
    if (!coordinator) throw new DsvError('DSV_NODE_UNAVAILABLE');
    const partition = controlPartitionOf(this.log.partitionCount);
    await coordinator.context.applier.catchUp(partition, 10_000);
    const control = coordinator.context.control;
    const roots = (control?.tokens(null) ?? []).filter(
      (old) => old.tenant === null && old.displayName === DEV_ROOT_NAME,
    );
    if (fixedToken !== undefined && control && looksLikeToken(fixedToken)) {
      const nodeIds = this.trust.manifest.members.map((member) => member.nodeId);
      const mine = tokenVerifiers(fixedToken, this.trust.manifest.clusterId, nodeIds)[control.nodeId];
      const same = roots.find((old) => old.tokenHash === mine);
      if (same?.revokedAt === null) return fixedToken; // the same fixed token as the last start
      if (same)
        // a token is stored once: a revoked one cannot come back
        throw new DsvError(
          'DSV_INPUT_INVALID',
          'this root token was revoked in this data dir: choose another',
        );
    }
    const revoke = roots.filter((old) => old.revokedAt === null).map((old) => old.accessor);
    // Operator-signed (the dev data dir holds the operator key): no node alone could mint it (I-T3).
    const minted = await mintRootToken(
      this.log,
      { manifest: this.trust.manifest, logKey: this.trust.logKey, operatorKey: this.operatorKey },
      { displayName: DEV_ROOT_NAME, revoke, ...(fixedToken === undefined ? {} : { token: fixedToken }) },
    );
    await Promise.all(
      running.map(async (node) =>
        node.coordinator?.context.applier.waitApplied(partition, minted.offset, 10_000),
      ),
    );
    return minted.token;
  }

  /**
   * Break-glass on the dev cluster (I-T4): the dev data dir holds the operator key, so `dsv dev` signs it as
   * an operator would on `dsv server` (`dsv approval break-glass`). Waits until every running node applied it.
   */
  async breakGlass(request: BreakGlassRequest): Promise<string> {
    const running = [...this.nodesById.values()].filter((node) => node.isRunning);
    const { approvalId, offset } = await breakGlass(
      this.log,
      { manifest: this.trust.manifest, logKey: this.trust.logKey, operatorKey: this.operatorKey },
      request,
    );
    const partition = controlPartitionOf(this.log.partitionCount);
    await Promise.all(
      running.map(async (node) => node.coordinator?.context.applier.waitApplied(partition, offset, 10_000)),
    );
    return approvalId;
  }

  /** Test seam: the commit log the nodes share (a test closes it to see /readyz report the log). */
  get commitLog(): EmbeddedCommitLog {
    return this.log;
  }

  urls(): string[] {
    return [...this.nodesById.values()].map((node) => node.publicUrl);
  }

  nodes(): Array<{ nodeId: string; running: boolean; url: string }> {
    return [...this.nodesById.values()].map((node) => ({
      nodeId: node.config.nodeId,
      running: node.isRunning,
      url: node.publicUrl,
    }));
  }

  private node(nodeId: string): DsvNode {
    const node = this.nodesById.get(nodeId);
    if (!node) throw new DsvError('DSV_ROUTE_NOT_FOUND', `No node ${nodeId} in this dev cluster`);
    return node;
  }

  async stopNode(nodeId: string): Promise<void> {
    await this.node(nodeId).stop();
  }

  async startNode(nodeId: string): Promise<void> {
    await this.node(nodeId).start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.nodesById.values()].map((node) => node.stop()));
    await this.log.close();
  }
}
