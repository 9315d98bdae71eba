// Which peers are up: each node probes every peer's health endpoint and classifies it as healthy,
// suspect or failed by the time since its last answer (figures for /api/v1/cluster/status).
import type { RemoteShardHolder } from './peer/remote-shard-holder.ts';

export type PeerHealth = 'healthy' | 'suspect' | 'failed';

export interface MembershipOptions {
  readonly intervalMs: number;
  /** Healthy while the last answer is younger than this. */
  readonly suspectAfterMs: number;
  /** Failed once the last answer is older than this (or there never was one). */
  readonly failedAfterMs: number;
}

export interface PeerStatus {
  readonly nodeId: string;
  readonly health: PeerHealth;
  readonly lastSeenMs: number | null;
  readonly applied: readonly number[] | null;
  /** The peer's readiness at its last health answer (issue 11); null when unknown. */
  readonly ready: { readonly ready: boolean; readonly reasons: readonly string[] } | null;
}

export class Membership {
  private readonly peers: readonly RemoteShardHolder[];
  private readonly options: MembershipOptions;
  private readonly lastSeen = new Map<string, number>();
  private readonly lastApplied = new Map<string, readonly number[]>();
  private readonly lastReady = new Map<string, PeerStatus['ready']>();
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(peers: readonly RemoteShardHolder[], options: MembershipOptions) {
    this.peers = peers;
    this.options = options;
  }

  start(): void {
    this.probe();
    this.timer = setInterval(() => this.probe(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called after any successful exchange with a peer, so traffic counts as a heartbeat too. */
  markSeen(nodeId: string): void {
    this.lastSeen.set(nodeId, Date.now());
  }

  health(nodeId: string): PeerHealth {
    const seen = this.lastSeen.get(nodeId);
    // A peer never seen yet is suspect (not failed) for one failure window after start: it may be booting.
    const age = Date.now() - (seen ?? this.startedAt);
    if (seen !== undefined && age < this.options.suspectAfterMs) return 'healthy';
    return age < this.options.failedAfterMs ? 'suspect' : 'failed';
  }

  isUp(nodeId: string): boolean {
    return this.health(nodeId) !== 'failed';
  }

  statuses(): PeerStatus[] {
    return this.peers.map((peer) => ({
      nodeId: peer.nodeId,
      health: this.health(peer.nodeId),
      lastSeenMs: this.lastSeen.get(peer.nodeId) ?? null,
      applied: this.lastApplied.get(peer.nodeId) ?? null,
      ready: this.lastReady.get(peer.nodeId) ?? null,
    }));
  }

  private probe(): void {
    for (const peer of this.peers) {
      peer
        .health(Math.min(this.options.intervalMs, 1000))
        .then((health) => {
          this.markSeen(peer.nodeId);
          this.lastApplied.set(peer.nodeId, health.applied);
          this.lastReady.set(peer.nodeId, health.ready ?? null);
        })
        .catch(() => undefined);
    }
  }
}
