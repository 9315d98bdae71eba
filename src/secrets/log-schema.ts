// The schema every record body must match at decode (I-L6): anything else is a deterministic no-op on
// every node, never a stall and never a cast of unchecked JSON into the state machine.
import { z } from 'zod';
import {
  APPROVAL_CAPABILITIES,
  CAPABILITIES,
  MAX_APPROVAL_TTL_MS,
  MAX_BREAK_GLASS_TTL_MS,
} from '../control/index.ts';
import type { LogEntry } from './log-entry.ts';
import { refreshAbortSchema, refreshCommitSchema, refreshStartSchema } from './refresh-schema.ts';

const text = z.string().min(1).max(1024);
const id = z.string().min(1).max(256);
const time = z.number().int().nonnegative();
const sig = z.string().min(1).max(200);
const endorsements = z.array(z.object({ node: id, sig }).strict()).max(64);
const authority = { rid: id, endorsements };
const nullableCount = z.number().nullable();

const intentOp = z.discriminatedUnion('op', [
  z
    .object({
      op: z.enum(['create', 'update', 'delete']),
      namespace: text,
      name: text,
      expectedVersion: z.number().int().nonnegative().optional(),
    })
    .strict(),
  z
    .object({
      op: z.literal('read'),
      namespace: text,
      name: text,
      version: z.number().int().positive().optional(),
    })
    .strict(),
]);

const rule = z
  .object({
    namespace: text,
    name: text,
    capabilities: z.array(z.enum(CAPABILITIES as [string, ...string[]])),
  })
  .strict();

// I-T4: an approval's scope; its ttl is bounded here, so a longer one is a no-op on every node (I-L6).
const approvalScope = (maxTtlMs: number) => ({
  approvalId: id,
  tenant: text,
  grantee: id,
  namespace: text,
  name: text,
  capabilities: z.array(z.enum(APPROVAL_CAPABILITIES as [string, ...string[]])).min(1),
  ttlMs: z.number().int().positive().max(maxTtlMs),
  reason: text,
  time,
});

export const logEntrySchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('intent'),
      writeId: id,
      tenant: text,
      time,
      coordinator: id,
      stager: id.optional(),
      idempotencyKey: z.string().min(1).max(512).optional(),
      ops: z.array(intentOp).min(1).max(10_000),
      endorsements,
    })
    .strict(),
  z
    .object({
      type: z.literal('commit'),
      writeId: id,
      tenant: text,
      time,
      shards: z
        .array(
          z
            .object({
              namespace: text,
              name: text,
              node: id,
              index: z.number().int().min(0).max(254),
              commitment: sig,
              receipt: sig,
            })
            .strict(),
        )
        .max(100_000),
      unchanged: z.array(z.number().int().nonnegative()).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('abort'),
      writeId: id,
      tenant: text,
      time,
      reason: z.enum(['quorum', 'read-failed', 'timeout', 'coordinator']),
    })
    .strict(),
  z
    .object({
      type: z.literal('share-restored'),
      tenant: text,
      time,
      namespace: text,
      name: text,
      version: z.number().int().positive(),
      writeId: id,
      index: z.number().int().min(0).max(254),
      commitment: sig,
      // Once-only (I-L6): a copy of the record appended again is refused as replayed, never re-applied.
      rid: id.optional(),
      generation: z.number().int().nonnegative().optional(),
    })
    .strict(),
  z.object({ type: z.literal('tick'), time }).strict(),
  z.object({ type: z.literal('node-revoke'), rid: id, nodeId: id, time }).strict(),
  z.object({ type: z.literal('keys-rotate'), tenant: text, time, ...authority }).strict(),
  z.object({ type: z.literal('tenant-shred'), tenant: text, time, ...authority }).strict(),
  z
    .object({
      type: z.literal('quota-set'),
      tenant: text,
      time,
      maxSecrets: nullableCount,
      maxValueBytes: nullableCount,
      requestsPerSecond: z.number().nullable(),
      ...authority,
    })
    .strict(),
  z
    .object({
      type: z.literal('hold-place'),
      tenant: text,
      time,
      holdId: id,
      namespace: text.nullable(),
      name: text.nullable(),
      reason: text,
      ttlMs: z.number().int().positive().nullable(),
      by: id,
      ...authority,
    })
    .strict(),
  z
    .object({
      type: z.literal('hold-release'),
      tenant: text,
      time,
      holdId: id,
      namespace: text.nullable(),
      name: text.nullable(),
      by: id,
      ...authority,
    })
    .strict(),
  z
    .object({
      type: z.literal('tenant-key-set'),
      tenant: text,
      time,
      provider: z.enum(['aws-kms', 'pkcs11', 'kmip', 'local']),
      keyRef: z.string().min(1).max(2048),
      by: id,
      ...authority,
    })
    .strict(),
  z.object({ type: z.literal('tenant-key-revoke'), tenant: text, time, by: id, ...authority }).strict(),
  z.object({ type: z.literal('tenant-create'), tenant: text, time, ...authority }).strict(),
  z
    .object({
      type: z.literal('token-create'),
      accessor: id,
      verifiers: z.record(id, z.string().regex(/^[0-9a-f]{64}$/)),
      creator: id.nullable(),
      tenant: text.nullable(),
      policies: z.array(text).max(64),
      displayName: z.string().max(256),
      expiresAt: time.nullable(),
      time,
      ...authority,
    })
    .strict(),
  z.object({ type: z.literal('token-revoke'), accessor: id, time, ...authority }).strict(),
  z
    .object({
      type: z.literal('policy-put'),
      tenant: text,
      name: text,
      rules: z.array(rule).max(256),
      time,
      ...authority,
    })
    .strict(),
  z.object({ type: z.literal('policy-delete'), tenant: text, name: text, time, ...authority }).strict(),
  z
    .object({
      type: z.literal('approval-grant'),
      ...approvalScope(MAX_APPROVAL_TTL_MS),
      by: id,
      ...authority,
    })
    .strict(),
  z
    .object({ type: z.literal('approval-revoke'), approvalId: id, tenant: text, by: id, time, ...authority })
    .strict(),
  z
    .object({
      type: z.literal('approval-break-glass'),
      ...approvalScope(MAX_BREAK_GLASS_TTL_MS),
      ...authority,
    })
    .strict(),
  refreshStartSchema,
  refreshCommitSchema,
  refreshAbortSchema,
]);

/** The body as a LogEntry, or undefined when it does not match the schema. */
export function parseLogEntry(body: unknown): LogEntry | undefined {
  const parsed = logEntrySchema.safeParse(body);
  return parsed.success ? (parsed.data as LogEntry) : undefined;
}
