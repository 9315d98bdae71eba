// `dsv dev --kafka` restarted on the same data dir keeps every secret: the broker reopens its log (same KRaft
// cluster id), the nodes their databases and certificates (issue: restarts keep every secret).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePortRange } from '../testing/free-ports.ts';
import { runDsv } from '../testing/dsv-process.ts';
import { v1 } from '../testing/v1-client.ts';

describe('dsv dev --kafka restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-dev-kafka-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const run = async (port: number) => {
    const dsv = runDsv(['dev', '--kafka', '--port', String(port), '--data-dir', dataDir]);
    await dsv.waitFor(/ready/, 180_000);
    return dsv;
  };

  it('a second run on the same data dir resumes the cluster: secrets read back on every node, writes go on', async () => {
    const port = await freePortRange(3);
    const first = await run(port);
    assert.match(first.output(), /^kafka\s+\S+\s+\(1 broker, SASL_SSL/m, 'the broker runs SASL_SSL');
    assert.equal((await v1.create(`http://127.0.0.1:${port}`, 'dk', 'kept', 'across runs')).status, 201);
    first.child.kill('SIGINT');
    assert.equal(await first.exited, 130);

    const second = await run(port);
    try {
      assert.match(second.output(), /resuming the cluster/);
      assert.match(second.output(), /^kafka\s+\S+\s+\(1 broker, SASL_SSL/m, 'still SASL_SSL, same users');
      for (let i = 0; i < 3; i++) {
        const read = await v1.read(`http://127.0.0.1:${port + i}`, 'dk', 'kept');
        assert.deepEqual([read.status, read.body], [200, 'across runs']);
      }
      const update = await v1.update(`http://127.0.0.1:${port + 1}`, 'dk', 'kept', 'v2');
      assert.deepEqual([update.status, update.body], [200, 'Secret updated (version: 2)']);
    } finally {
      second.child.kill('SIGINT');
      await second.exited;
    }
  });
});
