// The request-path rule of I-A1, independent of any HTTP framework: a response carrying secret material is
// sent only after its audit record is durable; any other response is audited too, but may still go out
// (the failure is reported) when the trail cannot be written.
import { DsvError, toDsvError } from '../errors/index.ts';
import type { AuditReceipt, AuditRecordInput } from './audit-record.ts';
import type { AuditSink } from './audit-sink.ts';

/** How long a response waits for its record before the append counts as failed (a stuck disk). */
export const DEFAULT_AUDIT_TIMEOUT_MS = 5_000;

export interface AuditedResponseInput extends AuditRecordInput {
  /** True when the body holds secret material (a value, a resolved .env). Fails closed: see I-A1. */
  readonly carriesSecret: boolean;
}

export type AuditAppendResult =
  | { readonly written: true; readonly receipt: AuditReceipt }
  | { readonly written: false; readonly error: DsvError };

/**
 * Appends the record, waiting at most `timeoutMs`. Never rejects: a failure comes back as a
 * DSV_AUDIT_UNAVAILABLE DsvError (a malformed record is a bug, but still must not let a secret out). A
 * record whose append timed out may still land later: the trail then over-reports, never under-reports.
 */
export async function appendAuditRecord(
  sink: AuditSink,
  input: AuditRecordInput,
  timeoutMs: number = DEFAULT_AUDIT_TIMEOUT_MS,
): Promise<AuditAppendResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new DsvError('DSV_AUDIT_UNAVAILABLE', 'The audit trail did not answer in time')),
      timeoutMs,
    );
  });
  try {
    const receipt = await Promise.race([sink.append(input), timeout]);
    return { written: true, receipt };
  } catch (cause) {
    const error = toDsvError(cause);
    return {
      written: false,
      error:
        error.code === 'DSV_AUDIT_UNAVAILABLE'
          ? error
          : new DsvError('DSV_AUDIT_UNAVAILABLE', undefined, { cause: error }),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Appends the record, then calls `send`. When `input.carriesSecret` and the append failed, `send` is never
 * called and this rejects DSV_AUDIT_UNAVAILABLE (503): the caller answers that error instead (I-A1).
 * Otherwise `send` is called either way and the append's result is returned for the caller to report.
 */
export async function auditedResponse(
  sink: AuditSink,
  input: AuditedResponseInput,
  send: () => Promise<void>,
  timeoutMs: number = DEFAULT_AUDIT_TIMEOUT_MS,
): Promise<AuditAppendResult> {
  const { carriesSecret, ...record } = input;
  const appended = await appendAuditRecord(sink, record, timeoutMs);
  if (!appended.written && carriesSecret) throw appended.error;
  await send();
  return appended;
}
