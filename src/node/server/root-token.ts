// The first root token of a `dsv server` cluster (DESIGN §9): appended straight to the control partition of
// the cluster's Kafka topic — no node needs to run — and shown once. Every node applies it when it starts.
import { hashToken, newAccessor, newToken } from '../../control/tokens.ts';
import { KafkaCommitLog } from '../../log/index.ts';
import { encodeEntry } from '../../secrets/index.ts';
import { DEV_TENANT } from '../../gateway/index.ts';
import type { ServerConfig } from './server-config.ts';

export interface IssuedRootToken {
  readonly token: string;
  readonly accessor: string;
}

export async function issueRootToken(config: ServerConfig, displayName = 'root'): Promise<IssuedRootToken> {
  const log = await KafkaCommitLog.open({
    bootstrap: config.log.bootstrap,
    topic: config.log.topic,
    partitionCount: config.log.partitions,
    replicationFactor: config.log.replicationFactor,
    minInsyncReplicas: config.log.minInsyncReplicas,
    clientId: 'dsv-root-token',
  });
  try {
    const control = log.partitionCount - 1;
    const time = Date.now();
    // The default tenant (v1 calls of a root token act on it); creating it twice is a no-op on apply.
    await log.append(control, '', encodeEntry({ type: 'tenant-create', tenant: DEV_TENANT, time }));
    const token = newToken();
    const accessor = newAccessor();
    await log.append(
      control,
      '',
      encodeEntry({
        type: 'token-create',
        accessor,
        tokenHash: hashToken(token),
        tenant: null,
        policies: [],
        displayName,
        expiresAt: null,
        time,
      }),
    );
    return { token, accessor };
  } finally {
    await log.close();
  }
}
