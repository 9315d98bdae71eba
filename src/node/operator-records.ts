// Records only the operator key may sign (trust-boundaries design §1, §4): the first root token of a
// cluster, the dev cluster's root token, node revocation. Whoever runs this holds `operator.key` —
// `dsv cluster init`'s output on the operator's machine, or a `dsv dev` data dir.
import { randomUUID, type KeyObject } from 'node:crypto';
import {
  APPROVAL_CAPABILITIES,
  MAX_BREAK_GLASS_TTL_MS,
  looksLikeToken,
  newAccessor,
  newToken,
  type ApprovalTerms,
} from '../control/index.ts';
import { DsvError } from '../errors/index.ts';
import { DEV_TENANT } from '../gateway/index.ts';
import type { CommitLog } from '../log/index.ts';
import { controlPartitionOf } from '../cluster/index.ts';
import { LogCodec, type LogEntry } from '../secrets/index.ts';
import { OPERATOR, tokenVerifiers, type ClusterManifest } from '../trust/index.ts';

export interface OperatorMaterial {
  readonly manifest: ClusterManifest;
  readonly logKey: Uint8Array;
  readonly operatorKey: KeyObject;
}

export interface MintedRootToken {
  readonly token: string;
  readonly accessor: string;
  /** Control partition offset of the token record: wait for it before using the token. */
  readonly offset: number;
}

/** Appends operator-signed records to one partition (default: the control partition, the last one). */
export async function appendOperatorRecords(
  log: CommitLog,
  material: OperatorMaterial,
  entries: readonly LogEntry[],
  partition = controlPartitionOf(log.partitionCount),
): Promise<number> {
  const codec = new LogCodec(material.manifest, material.logKey, {
    signer: OPERATOR,
    privateKey: material.operatorKey,
  });
  let offset = -1;
  for (const entry of entries) ({ offset } = await log.append(partition, '', codec.encode(partition, entry)));
  return offset;
}

/**
 * A root token (every tenant, every capability), shown once. The default tenant is created with it (v1
 * calls of a root token act on it; creating it twice is a no-op), and `revoke` names earlier tokens to end.
 */
export async function mintRootToken(
  log: CommitLog,
  material: OperatorMaterial,
  options: { displayName: string; revoke?: readonly string[]; token?: string },
): Promise<MintedRootToken> {
  // A fixed token (`dsv dev --root-token`) must have the shape of a minted one: `dsv.` + 32 bytes base64url.
  if (options.token !== undefined && !looksLikeToken(options.token))
    throw new DsvError('DSV_INPUT_INVALID', 'a root token is "dsv." followed by 43 base64url characters');
  const token = options.token ?? newToken();
  const accessor = newAccessor();
  const time = Date.now();
  const authority = () => ({ rid: randomUUID(), endorsements: [] });
  const nodeIds = material.manifest.members.map((member) => member.nodeId);
  const offset = await appendOperatorRecords(log, material, [
    { type: 'tenant-create', tenant: DEV_TENANT, time, ...authority() },
    ...(options.revoke ?? []).map((old) => ({
      type: 'token-revoke' as const,
      accessor: old,
      time,
      ...authority(),
    })),
    {
      type: 'token-create',
      accessor,
      verifiers: tokenVerifiers(token, material.manifest.clusterId, nodeIds),
      creator: null,
      tenant: null,
      policies: [],
      displayName: options.displayName,
      expiresAt: null,
      time,
      ...authority(),
    },
  ]);
  return { token, accessor, offset };
}

/** The reason is mandatory: recorded in the log, shown to the tenant with the approval (I-T4c). */
export type BreakGlassRequest = ApprovalTerms;

/**
 * Break-glass (I-T4): an approval signed by the operator key alone — no tenant admin, no quorum of nodes —
 * short-lived (at most an hour) and with a mandatory reason. Every node audits it when it applies it, and the
 * tenant sees it with its approvals. Returns the approval id and the control offset to wait for.
 */
export async function breakGlass(
  log: CommitLog,
  material: OperatorMaterial,
  request: BreakGlassRequest,
): Promise<{ approvalId: string; offset: number }> {
  if (request.reason.trim() === '') throw new DsvError('DSV_INPUT_INVALID', 'break-glass needs a reason');
  if (!Number.isInteger(request.ttlMs) || request.ttlMs < 1000 || request.ttlMs > MAX_BREAK_GLASS_TTL_MS)
    throw new DsvError('DSV_INPUT_INVALID', 'break-glass lasts at least a second and at most an hour');
  if (
    request.capabilities.length === 0 ||
    !request.capabilities.every((c) => APPROVAL_CAPABILITIES.includes(c))
  )
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `capabilities must be some of ${APPROVAL_CAPABILITIES.join(', ')}`,
    );
  const approvalId = randomUUID();
  const offset = await appendOperatorRecords(log, material, [
    {
      type: 'approval-break-glass',
      approvalId,
      ...request,
      reason: request.reason.trim(),
      time: Date.now(),
      rid: randomUUID(),
      endorsements: [],
    },
  ]);
  return { approvalId, offset };
}

/**
 * Revokes a node (I-G4): one operator-signed record on every partition, so each partition judges the node's
 * records from its own position on (I-X1), and every node refuses the revoked node's peer calls.
 */
export async function revokeNode(log: CommitLog, material: OperatorMaterial, nodeId: string): Promise<void> {
  if (!material.manifest.members.some((member) => member.nodeId === nodeId))
    throw new DsvError('DSV_INPUT_INVALID', `${nodeId} is not a member of this cluster`);
  const rid = randomUUID();
  for (let partition = 0; partition < log.partitionCount; partition++) {
    await appendOperatorRecords(
      log,
      material,
      [{ type: 'node-revoke', rid: `${rid}/${partition}`, nodeId, time: Date.now() }],
      partition,
    );
  }
}
