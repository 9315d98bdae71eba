// `dsv dev --kafka` never deletes a user's data without `--reset` (issue 11): another --nodes on an existing
// data dir, or a first start that did not finish, is refused with exit 2 and a way forward, and the files stay;
// an explicit --port that differs from a resumed cluster's ports is refused, not silently ignored.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DevKafkaRefusal,
  previousRunUsable,
  refuseOtherPort,
} from '../../src/cli/commands/dev-kafka-command.ts';
import { loadServerConfig, nodeConfigFile } from '../../src/node/server/index.ts';
import { runCli } from '../testing/cli-harness.ts';

const PORT = 18_400;

/** A data dir as a 3-node `dsv dev --kafka` run leaves it: cluster files, a formatted broker log, node data. */
async function previousRun(
  formatted: boolean,
): Promise<{ dataDir: string; clusterDir: string; kept: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-dev-kafka-safety-'));
  const clusterDir = join(dataDir, 'cluster');
  const init = await runCli([
    'cluster',
    'init',
    '--nodes',
    '3',
    '--dir',
    clusterDir,
    '--kafka',
    '127.0.0.1:9092',
    '--base-port',
    String(PORT),
    '--kek',
    'key-file',
  ]);
  assert.equal(init.code, 0, init.stderr);
  const secrets = join(clusterDir, 'node-0', 'secrets-stand-in.db');
  writeFileSync(secrets, 'every secret');
  const kept = [nodeConfigFile(clusterDir, 0), nodeConfigFile(clusterDir, 2), secrets];
  if (formatted) {
    const meta = join(dataDir, 'kafka', 'broker-1', 'log', 'meta.properties');
    mkdirSync(join(dataDir, 'kafka', 'broker-1', 'log'), { recursive: true });
    writeFileSync(meta, 'cluster.id=stand-in\n');
    kept.push(meta);
  }
  return { dataDir, clusterDir, kept };
}

const assertKept = (files: readonly string[]) => {
  for (const file of files) assert.ok(existsSync(file), `${file} was deleted`);
};

describe('dsv dev --kafka: data safety', () => {
  const dirs: string[] = [];
  let resumable: Awaited<ReturnType<typeof previousRun>>;
  let incomplete: Awaited<ReturnType<typeof previousRun>>;
  before(async () => {
    resumable = await previousRun(true);
    incomplete = await previousRun(false);
    dirs.push(resumable.dataDir, incomplete.dataDir);
  });
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('another --nodes on an existing cluster is refused (how to resume, another --data-dir, --reset); nothing deleted', async () => {
    const { dataDir, clusterDir, kept } = resumable;
    await assert.rejects(
      previousRunUsable(dataDir, clusterDir, { nodes: 5, reset: false }),
      (error: unknown) =>
        error instanceof DevKafkaRefusal &&
        /a cluster of 3 nodes, not 5/.test(error.message) &&
        /--nodes 3/.test(error.message) &&
        /--data-dir/.test(error.message) &&
        /--reset/.test(error.message),
    );
    assertKept(kept);
    assert.equal(await previousRunUsable(dataDir, clusterDir, { nodes: 3, reset: false }), true);
    assertKept(kept);
  });

  it('a first start that did not finish is refused too, never removed silently', async () => {
    const { dataDir, clusterDir, kept } = incomplete;
    for (const nodes of [3, 1]) {
      await assert.rejects(
        previousRunUsable(dataDir, clusterDir, { nodes, reset: false }),
        (error: unknown) =>
          error instanceof DevKafkaRefusal && /incomplete cluster.*--reset/.test(error.message),
      );
    }
    assertKept(kept);
  });

  it('the CLI exits 2 with the message, before starting anything, and the files stay', async () => {
    const { dataDir, kept } = resumable;
    const run = await runCli(['dev', '--kafka', '--nodes', '5', '--data-dir', dataDir], {
      env: { DSV_UNSEAL_PASSPHRASE: undefined },
    });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /holds a cluster of 3 nodes, not 5; nothing was changed.*--reset/);
    assert.doesNotMatch(run.stdout, /^kafka /m, 'no broker was started');
    assertKept(kept);
  });

  it("an explicit --port other than the resumed cluster's is refused; the same port or none is fine", async () => {
    const { dataDir, clusterDir, kept } = resumable;
    const configs = [0, 1, 2].map((i) => loadServerConfig(nodeConfigFile(clusterDir, i)));
    assert.throws(
      () => refuseOtherPort(dataDir, configs, { port: PORT + 100, portGiven: true }),
      (error: unknown) =>
        error instanceof DevKafkaRefusal &&
        new RegExp(`serves on port ${PORT}.*--port ${PORT}`).test(error.message),
    );
    refuseOtherPort(dataDir, configs, { port: PORT, portGiven: true });
    refuseOtherPort(dataDir, configs, { port: 8080, portGiven: false });
    const run = await runCli(['dev', '--kafka', '--port', String(PORT + 100), '--data-dir', dataDir], {
      env: { DSV_UNSEAL_PASSPHRASE: undefined },
    });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, new RegExp(`serves on port ${PORT}`));
    assertKept(kept);
  });

  it('--reset deletes the previous cluster and starts fresh', async () => {
    const { dataDir, clusterDir, kept } = await previousRun(true);
    dirs.push(dataDir);
    assert.equal(await previousRunUsable(dataDir, clusterDir, { nodes: 5, reset: true }), false);
    for (const file of kept) assert.equal(existsSync(file), false, `${file} should be gone`);
  });
});
