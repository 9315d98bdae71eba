// Schemas of the refresh records (I-L6): decoded like every other record body, strictly.
import { z } from 'zod';

const text = z.string().min(1).max(1024);
const id = z.string().min(1).max(256);
const time = z.number().int().nonnegative();
const sig = z.string().min(1).max(200);
const index = z.number().int().min(0).max(254);

export const refreshStartSchema = z
  .object({
    type: z.literal('refresh-start'),
    tenant: text,
    time,
    namespace: text,
    name: text,
    version: z.number().int().positive(),
    writeId: id,
    generation: z.number().int().positive(),
    session: id,
    participants: z.array(index).min(1).max(255),
  })
  .strict();

export const refreshCommitSchema = z
  .object({
    type: z.literal('refresh-commit'),
    tenant: text,
    time,
    session: id,
    receipts: z
      .array(z.object({ index, node: id, commitment: sig, receipt: sig }).strict())
      .min(1)
      .max(255),
  })
  .strict();

export const refreshAbortSchema = z
  .object({
    type: z.literal('refresh-abort'),
    tenant: text,
    time,
    session: id,
    reason: z.enum(['unavailable', 'zero-check', 'refused']),
  })
  .strict();
