// The first root token of a `dsv server` cluster (DESIGN §9): an operator-signed record appended straight to
// the control partition of the cluster's Kafka topic — no node needs to run — and shown once. Kafka access
// alone mints nothing: without `operator.key` the record is refused by every node (I-T3).
import { dirname } from 'node:path';
import { KafkaCommitLog } from '../../log/index.ts';
import { loadOperatorKey, loadTrustMaterial } from '../../trust/index.ts';
import {
  breakGlass,
  mintRootToken,
  revokeNode,
  type BreakGlassRequest,
  type OperatorMaterial,
} from '../operator-records.ts';
import type { ServerConfig } from './server-config.ts';
import { kafkaSecurity } from './server-node.ts';

export interface IssuedRootToken {
  readonly token: string;
  readonly accessor: string;
}

/** `operatorDir` holds operator.key (default: beside the node config, where `dsv cluster init` put it). */
export async function issueRootToken(
  config: ServerConfig & { readonly configFile?: string },
  displayName = 'root',
  operatorDir?: string,
): Promise<IssuedRootToken> {
  return withOperatorLog(config, operatorDir, async (log, material) => {
    const minted = await mintRootToken(log, material, { displayName });
    return { token: minted.token, accessor: minted.accessor };
  });
}

/** `dsv cluster revoke-node`: every node refuses the node's records and peer calls from then on (I-G4). */
export async function revokeClusterNode(
  config: ServerConfig,
  nodeId: string,
  operatorDir?: string,
): Promise<void> {
  await withOperatorLog(config, operatorDir, (log, material) => revokeNode(log, material, nodeId));
}

/** `dsv approval break-glass`: an operator-signed, short-lived approval, audited by every node (I-T4). */
export async function issueBreakGlass(
  config: ServerConfig,
  request: BreakGlassRequest,
  operatorDir?: string,
): Promise<{ approvalId: string }> {
  return withOperatorLog(config, operatorDir, async (log, material) => ({
    approvalId: (await breakGlass(log, material, request)).approvalId,
  }));
}

async function withOperatorLog<T>(
  config: ServerConfig,
  operatorDir: string | undefined,
  work: (log: KafkaCommitLog, material: OperatorMaterial) => Promise<T>,
): Promise<T> {
  const trust = loadTrustMaterial(config.identityDir);
  const operatorKey = loadOperatorKey(operatorDir ?? dirname(config.identityDir));
  const log = await KafkaCommitLog.open({
    bootstrap: config.log.bootstrap,
    topic: config.log.topic,
    partitionCount: config.log.partitions,
    replicationFactor: config.log.replicationFactor,
    minInsyncReplicas: config.log.minInsyncReplicas,
    clientId: 'dsv-operator',
    ...kafkaSecurity(config.log),
  });
  try {
    return await work(log, { manifest: trust.manifest, logKey: trust.logKey, operatorKey });
  } finally {
    await log.close();
  }
}
