// Issue #11: `dsv dev --kafka` needs Java 17+ and, until the broker's jars are cached, Maven. Without them it
// stops before starting or writing anything: exit 2 and one line per missing tool naming what to install.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { javaMajor } from '../../src/cli/commands/kafka-tools.ts';
import { runCli } from '../testing/cli-harness.ts';

describe('dsv dev --kafka: missing tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-kafka-tools-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  const emptyCache = join(dir, 'cache');

  it('reads Java versions old and new', () => {
    assert.equal(javaMajor('openjdk version "17.0.2" 2022-01-18'), 17);
    assert.equal(javaMajor('openjdk version "21" 2023-09-19'), 21);
    assert.equal(javaMajor('java version "1.8.0_392"'), 8);
    assert.equal(javaMajor('nothing'), undefined);
  });

  it('no java on PATH: exit 2, names Java 17+, starts and writes nothing', async () => {
    const result = await runCli(['dev', '--kafka', '--data-dir', dataDir, '--port', '18780'], {
      env: { PATH: join(dir, 'no-such-dir'), DSV_KAFKA_CACHE: emptyCache },
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /^dsv dev --kafka: needs Java 17\+ to run the Kafka broker, and no `java` is on PATH: install a JDK or JRE 17/m,
    );
    // Nothing cached yet and no mvn either: that is named too.
    assert.match(
      result.stderr,
      /^dsv dev --kafka: fetches Apache Kafka \S+ from Maven Central once with Maven, and no `mvn` is on PATH: install Maven/m,
    );
    assert.equal(existsSync(dataDir), false);
  });

  it('java 17 there but no mvn and nothing cached: names Maven only', async () => {
    const bin = join(dir, 'bin');
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    writeFileSync(join(bin, 'java'), '#!/bin/sh\necho \'openjdk version "17.0.9" 2023-10-17\' >&2\n');
    chmodSync(join(bin, 'java'), 0o755);
    const result = await runCli(['dev', '--kafka', '--data-dir', dataDir, '--port', '18780'], {
      env: { PATH: bin, DSV_KAFKA_CACHE: emptyCache },
    });
    assert.equal(result.code, 2, result.stderr);
    assert.doesNotMatch(result.stderr, /Java/);
    assert.match(result.stderr, /no `mvn` is on PATH: install Maven 3/);
  });

  it('an old java is named with its version', async () => {
    const bin = join(dir, 'old');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'java'), '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n');
    writeFileSync(join(bin, 'mvn'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, 'java'), 0o755);
    chmodSync(join(bin, 'mvn'), 0o755);
    const result = await runCli(['dev', '--kafka', '--data-dir', dataDir, '--port', '18780'], {
      env: { PATH: bin, DSV_KAFKA_CACHE: emptyCache },
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /is Java 8: install Java 17 or newer/);
    assert.doesNotMatch(result.stderr, /mvn/);
  });
});
