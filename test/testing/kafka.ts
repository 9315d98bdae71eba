// Test helper: a real local Kafka cluster (KRaft) for tests that need a broker; the core is src/log/kafka.
import {
  startLocalKafka,
  type LocalKafka,
  type LocalKafkaSecurityOptions,
} from '../../src/log/kafka/local-kafka.ts';

export type { LocalKafka, LocalKafkaSecurityOptions } from '../../src/log/kafka/local-kafka.ts';

/**
 * Starts 1 or 3 brokers on free loopback ports (fetching Kafka from Maven Central on first use). Call
 * `stop()` in an `after` hook; brokers are also killed when the test process exits, however it exits.
 */
export function startKafka(options: {
  brokers: 1 | 3;
  dataDir?: string;
  /** SASL_SSL with ACLs (see startLocalKafka); absent: PLAINTEXT. */
  security?: LocalKafkaSecurityOptions;
}): Promise<LocalKafka> {
  return startLocalKafka({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
}
