// The red team's hands on proactive share refresh (test/adversary/share-refresh-attacks*.test.ts): node-0 of an
// in-process cluster is compromised; it signs refresh records as a member and calls the other participants as
// the refresher. What both rounds of attacks share: finding a version and its placement, waiting until every
// node has applied the log, and the records a refresher writes (I-R1..I-R4).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CoordinatorContext, RefreshPeer } from '../../src/cluster/index.ts';
import { holdersFor } from '../../src/cluster/index.ts';
import { partitionOf } from '../../src/cluster/coordinator/coordinator-context.ts';
import type { RefreshAddress } from '../../src/cluster/refresh-types.ts';
import type { LogEntry, RefreshReceipt } from '../../src/secrets/index.ts';
import type { TestCluster } from './dev-cluster.ts';
import { v1 } from './v1-client.ts';
import { waitFor } from './wait.ts';

export const RED_TEAM_TENANT = 'default';
export const RED_TEAM_NODES = ['node-0', 'node-1', 'node-2'] as const;
/** The compromised node. */
export const EVIL = 'node-0';

export interface RefreshStartOverrides {
  readonly session: string;
  readonly participants: number[];
  readonly generation: number;
  /** The version the refresh is of (its writeId and commitments are that version's). */
  readonly version: number;
  /** A version the record claims other than that one (an attack: another version's writeId). */
  readonly claimedVersion: number;
}

export interface RefreshRedTeamOptions {
  /** The running cluster (started in the suite's `before`). */
  readonly cluster: () => TestCluster;
  /** The v1 user (namespace) the attacks write under. */
  readonly user: string;
  /** How node-0 puts a record it made on the log; resolves with its offset. */
  readonly sign: (evil: CoordinatorContext, partition: number, entry: LogEntry) => Promise<number>;
}

export function refreshRedTeam({ cluster, user, sign: append }: RefreshRedTeamOptions) {
  const tenant = RED_TEAM_TENANT;
  const url = (i: number): string => cluster().urls[i] ?? '';
  const contextOf = (nodeId: string): CoordinatorContext => {
    const context = cluster().cluster.nodesById.get(nodeId)?.coordinator?.context;
    if (!context) throw new Error(`${nodeId} is not running`);
    return context;
  };
  const evil = (): CoordinatorContext => contextOf(EVIL);
  const keyOf = (name: string) => ({ tenant, namespace: user, name });
  const infoOf = (name: string, nodeId = 'node-1', version = 1) => {
    const info = contextOf(nodeId).view.version(keyOf(name), version);
    if (!info) throw new Error(`no version ${version} of ${name} on ${nodeId}`);
    return info;
  };
  const partition = (): number => partitionOf(evil(), tenant);
  /** Every node has applied its partition up to the log's end. */
  const settle = async (): Promise<void> => {
    const end = await evil().log.endOffset(partition());
    await waitFor(
      () => RED_TEAM_NODES.every((nodeId) => contextOf(nodeId).view.applied(partition()).nextOffset >= end),
      10_000,
    );
  };
  const create = async (name: string, value: string): Promise<void> => {
    assert.equal((await v1.create(url(1), user, name, value)).status, 201);
    await settle();
  };
  /** node-0 signs any refresh record it likes with its own identity (what a member can do). */
  const sign = (entry: LogEntry): Promise<number> => append(evil(), partition(), entry);
  /** node-0 starts a refresh of `name`; returns the address it then speaks to participants. */
  const start = async (
    name: string,
    overrides: Partial<RefreshStartOverrides> = {},
  ): Promise<RefreshAddress> => {
    const version = overrides.version ?? 1;
    const info = infoOf(name, EVIL, version);
    const participants =
      overrides.participants ??
      Object.keys(info.commitments ?? {})
        .map(Number)
        .sort((a, b) => a - b);
    const session = overrides.session ?? randomUUID();
    const generation = overrides.generation ?? info.generation + 1;
    const claimed = overrides.claimedVersion ?? version;
    const offset = await sign({
      type: 'refresh-start',
      tenant,
      time: Date.now(),
      namespace: user,
      name,
      version: claimed,
      writeId: info.writeId,
      generation,
      session,
      participants,
    });
    const address = { key: keyOf(name), partition: partition(), minOffset: offset + 1, version: claimed };
    return { ...address, writeId: info.writeId, generation, session, participants };
  };
  const commit = (session: string, receipts: readonly RefreshReceipt[]) =>
    sign({ type: 'refresh-commit', tenant, time: Date.now(), session, receipts });
  const abort = (session: string) =>
    sign({ type: 'refresh-abort', tenant, time: Date.now(), session, reason: 'refused' });
  const placementOf = (name: string): readonly string[] =>
    holdersFor(keyOf(name), evil().params.nodeIds, evil().params.n);
  /** node-0's peer client for the holder of `name`'s share `index` (each call arrives as from node-0). */
  const memberOf = (name: string, index: number): RefreshPeer => {
    const refresh = evil().refresh;
    if (!refresh) throw new Error('refresh not wired');
    const peer = refresh.peers.get(placementOf(name)[index] ?? '');
    if (!peer) throw new Error(`no peer for index ${index}`);
    return peer;
  };
  return {
    url,
    contextOf,
    evil,
    keyOf,
    infoOf,
    partition,
    settle,
    create,
    sign,
    start,
    commit,
    abort,
    placementOf,
    memberOf,
  };
}
