// Issue #11: `dsv dev` logs for people (pino-pretty) and raw JSON lines only with --log-format json; the
// production `dsv server` keeps JSON lines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { initCluster } from '../../src/node/server/index.ts';
import { runCli } from '../testing/cli-harness.ts';
import { runDsv } from '../testing/dsv-process.ts';
import { freePortRange } from '../testing/free-ports.ts';

describe('log format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-log-format-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const devLogs = async (extra: string[]) => {
    const port = await freePortRange(3);
    const dsv = runDsv(['dev', '--port', String(port), '--data-dir', join(dir, `dev-${port}`), ...extra], {
      DSV_LOG_LEVEL: 'info',
    });
    await dsv.waitFor(/ready/, 60_000);
    await dsv.waitFor(/Server listening/, 10_000);
    dsv.child.kill('SIGINT');
    assert.equal(await dsv.exited, 130);
    return { lines: dsv.output().split('\n'), port };
  };

  it('dsv dev: pretty lines by default (time, level, node, message), no JSON', async () => {
    const { lines, port } = await devLogs([]);
    const listening = lines.filter((line) => line.includes('Server listening'));
    assert.ok(listening.length >= 3, lines.join('\n'));
    assert.ok(
      listening.some((line) =>
        new RegExp(
          `^\\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] INFO: node-0 Server listening at http://127\\.0\\.0\\.1:${port}$`,
        ).test(line),
      ),
      listening.join('\n'),
    );
    assert.equal(
      lines.filter((line) => line.startsWith('{')).length,
      0,
      'no raw JSON line in the default format',
    );
  });

  it('dsv dev --log-format json: raw JSON lines', async () => {
    const { lines } = await devLogs(['--log-format', 'json']);
    const records = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; node?: string });
    assert.ok(records.some((record) => record.level === 30 && record.msg.startsWith('Server listening')));
    assert.ok(records.every((record) => typeof record.node === 'string'));
  });

  it('dsv dev --log-format xml is a usage error (exit 2)', async () => {
    const result = await runCli(['dev', '--log-format', 'xml']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /Allowed choices are pretty, json/);
  });

  it('dsv server logs JSON lines', async () => {
    await initCluster({
      nodes: 3,
      dir: join(dir, 'cluster'),
      kafka: ['127.0.0.1:1'], // unreachable: the start fails, and says so in its log
      basePort: 18_580,
      kek: 'key-file',
    });
    const result = await runCli(['server', '--config', join(dir, 'cluster', 'node-0.json')]);
    assert.equal(result.code, 1, result.stderr);
    const records = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; code: string | null });
    const failed = records.find((record) => record.msg.startsWith('start failed'));
    assert.ok(failed, result.stderr);
    assert.equal(failed.level, 50);
    assert.equal(failed.code, 'DSV_LOG_UNAVAILABLE');
    assert.match(result.stderr, /^dsv server: \[DSV_LOG_UNAVAILABLE\]/m);
  });
});
