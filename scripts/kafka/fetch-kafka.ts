// Fetches (once) and caches the Apache Kafka broker jars: `node scripts/kafka/fetch-kafka.ts`.
import { ensureKafkaArtifacts } from '../../src/log/kafka/kafka-artifacts.ts';

const started = performance.now();
const artifacts = await ensureKafkaArtifacts({ log: (line) => process.stderr.write(`${line}\n`) });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `Kafka ${artifacts.version}: ${artifacts.libs} (${artifacts.fetched ? `fetched in ${seconds}s` : 'cached'})\n`,
);
