// Test helpers for the audit context: temporary trails, sample records, and line-level tampering.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReceipt, AuditRecordInput } from '../audit-record.ts';
import { JsonlAuditSink } from '../jsonl/jsonl-audit-sink.ts';
import { segmentName } from '../jsonl/audit-segments.ts';

export async function tempAuditDir(): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'dsv-audit-'));
  return { dir: join(root, 'audit'), dispose: () => rm(root, { recursive: true, force: true }) };
}

export function sampleInput(i: number, overrides: Partial<AuditRecordInput> = {}): AuditRecordInput {
  return {
    requestId: `req-${i}`,
    tenant: i % 2 === 0 ? 'acme' : 'globex',
    accessor: `acc-${i % 3}`,
    operation: 'secret.read',
    pathHmac: null,
    outcome: 'ok',
    status: 200,
    ...overrides,
  };
}

/** Writes `count` records through a real sink and closes it; returns their receipts in seq order. */
export async function writeTrail(dir: string, count: number, segmentBytes?: number): Promise<AuditReceipt[]> {
  const sink = await JsonlAuditSink.open({ dir, node: 'node-0', ...(segmentBytes ? { segmentBytes } : {}) });
  try {
    return await Promise.all(Array.from({ length: count }, (_, i) => sink.append(sampleInput(i))));
  } finally {
    await sink.close();
  }
}

export const firstSegment = (dir: string): string => join(dir, segmentName(0));

/** Rewrites a segment's complete lines through `edit` (the trailing newline is kept). */
export async function editLines(file: string, edit: (lines: string[]) => string[]): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
  await writeFile(
    file,
    edit(lines)
      .map((line) => `${line}\n`)
      .join(''),
  );
}
