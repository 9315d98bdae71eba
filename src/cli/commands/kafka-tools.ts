// `dsv dev --kafka` needs Java 17+ (the broker is a JVM) and, until the broker's jars are cached, Maven (they
// come from Maven Central through `mvn dependency:copy-dependencies`, src/log/kafka/kafka-artifacts.ts). Both
// are checked before anything starts, so a missing tool is one line naming what to install (issue 11).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KAFKA_VERSION, kafkaCacheDir } from '../../log/kafka/kafka-artifacts.ts';

const MIN_JAVA = 17;

/** The first executable `name` on PATH, as a shell would find it. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `java -version` prints e.g. `openjdk version "17.0.2"` or `java version "1.8.0_392"` on stderr. */
export function javaMajor(versionOutput: string): number | undefined {
  const quoted = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!quoted) return undefined;
  const first = Number(quoted[1]);
  return first === 1 && quoted[2] !== undefined ? Number(quoted[2]) : first;
}

/** What is missing for `dsv dev --kafka`, one line each; empty when Java (and Maven, if needed) are there. */
export function missingKafkaTools(): string[] {
  const problems: string[] = [];
  const java = onPath('java');
  if (java === undefined) {
    problems.push(
      `needs Java ${MIN_JAVA}+ to run the Kafka broker, and no \`java\` is on PATH: install a JDK or JRE ` +
        `${MIN_JAVA} or newer (e.g. apt-get install openjdk-${MIN_JAVA}-jre-headless, or https://adoptium.net), ` +
        'or use plain `dsv dev` (no Kafka)',
    );
  } else {
    const probe = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 15_000 });
    const major = javaMajor(`${probe.stderr}${probe.stdout}`);
    if (major !== undefined && major < MIN_JAVA)
      problems.push(
        `needs Java ${MIN_JAVA}+ to run the Kafka broker, and ${java} is Java ${major}: install Java ` +
          `${MIN_JAVA} or newer and put it first on PATH`,
      );
  }
  const cached = existsSync(join(kafkaCacheDir(), KAFKA_VERSION, '.complete'));
  if (!cached && onPath('mvn') === undefined) {
    problems.push(
      `fetches Apache Kafka ${KAFKA_VERSION} from Maven Central once with Maven, and no \`mvn\` is on PATH: ` +
        `install Maven 3 (e.g. apt-get install maven); the jars are then cached in ${join(kafkaCacheDir(), KAFKA_VERSION)} ` +
        'and mvn is not needed again',
    );
  }
  return problems;
}
