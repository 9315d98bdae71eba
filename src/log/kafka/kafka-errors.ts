// Maps @platformatic/kafka failures onto DSV's error codes; messages name the operation, never payloads.
import { findErrorBy } from '@platformatic/kafka';
import { DsvError, isDsvError } from '../../errors/index.ts';

/** The Kafka protocol error id (e.g. 'NOT_ENOUGH_REPLICAS') somewhere in `error`'s chain, if any. */
export function kafkaErrorId(error: unknown, ...ids: string[]): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return ids.find((id) => findErrorBy(error, 'apiId', id) !== null);
}

/**
 * Broker or network failure → DSV_LOG_UNAVAILABLE (503, retriable): the caller must not assume the
 * record was not published when the failure came after sending (DESIGN §6: "outcome unknown").
 */
export function logUnavailable(what: string, error: unknown): DsvError {
  if (isDsvError(error)) return error;
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new DsvError('DSV_LOG_UNAVAILABLE', `Commit log unavailable: ${what} failed (${reason})`, {
    cause: error,
  });
}

export function logMisconfigured(topic: string, problems: readonly string[]): DsvError {
  return new DsvError(
    'DSV_LOG_MISCONFIGURED',
    `Kafka topic '${topic}' is misconfigured: ${problems.join('; ')}`,
    { details: { topic } },
  );
}
