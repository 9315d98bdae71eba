// Fetches the Apache Kafka broker jars from Maven Central once and caches them under .cache/kafka/<version>.
// Only package registries are reachable from CI, so the broker comes from Maven artifacts, not a tarball.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DsvError } from '../../errors/index.ts';

/** The broker release; scripts/kafka/pom.xml takes it as a property, so this is the one place to change it. */
export const KAFKA_VERSION = '4.2.0';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const MARKER = '.complete';

export interface KafkaArtifacts {
  readonly version: string;
  /** Directory holding every jar the broker needs: use as the Java class path `<libs>/*`. */
  readonly libs: string;
  /** Whether this call downloaded them (false: they came from the cache). */
  readonly fetched: boolean;
}

export interface EnsureKafkaArtifactsOptions {
  readonly cacheDir?: string;
  readonly version?: string;
  /** Progress lines (first fetch only). */
  readonly log?: (line: string) => void;
}

export function kafkaCacheDir(): string {
  return process.env['DSV_KAFKA_CACHE'] ?? join(projectRoot, '.cache', 'kafka');
}

/** Idempotent: a marker file written last says the cached set is complete; a partial fetch is redone. */
export async function ensureKafkaArtifacts(
  options: EnsureKafkaArtifactsOptions = {},
): Promise<KafkaArtifacts> {
  const version = options.version ?? KAFKA_VERSION;
  const base = join(options.cacheDir ?? kafkaCacheDir(), version);
  const libs = join(base, 'libs');
  if (existsSync(join(base, MARKER))) return { version, libs, fetched: false };

  options.log?.(`dsv: fetching Apache Kafka ${version} from Maven Central into ${base} (first run)…`);
  // Fetch into a private directory and rename it into place, so a concurrent or interrupted fetch
  // never leaves a half-filled libs/ that looks usable.
  const staging = join(base, `libs.partial-${process.pid}-${Date.now()}`);
  await mkdir(staging, { recursive: true });
  try {
    await runMaven([
      '-q',
      '-B',
      '-f',
      join(projectRoot, 'scripts', 'kafka', 'pom.xml'),
      `-Dkafka.version=${version}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${staging}`,
    ]);
    const jars = (await readdir(staging)).filter((name) => name.endsWith('.jar')).sort();
    if (!jars.some((name) => name.startsWith('kafka_2.13-'))) {
      throw new DsvError('DSV_LOG_UNAVAILABLE', 'Kafka artifacts incomplete: the kafka_2.13 jar is missing');
    }
    if (existsSync(join(base, MARKER))) return { version, libs, fetched: false };
    await rm(libs, { recursive: true, force: true });
    await rename(staging, libs);
    await writeFile(join(base, MARKER), `${jars.join('\n')}\n`);
    return { version, libs, fetched: true };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function runMaven(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) =>
      reject(
        new DsvError('DSV_LOG_UNAVAILABLE', 'Cannot run mvn to fetch Kafka (is Maven installed?)', {
          cause: error,
        }),
      ),
    );
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new DsvError('DSV_LOG_UNAVAILABLE', `mvn failed (exit ${code}) fetching Kafka:\n${output.trim()}`),
        );
    });
  });
}
