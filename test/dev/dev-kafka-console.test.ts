// `dsv dev --kafka` has the node console of in-process `dsv dev` (issue 11): one parser and runner
// (src/cli/commands/dev-console.ts) over two adapters. `stop node-2` on stdin stops that node process (SIGTERM,
// waited for), the cluster keeps serving (k = 2 of 3), `status` shows it stopped, `start node-2` runs it again
// on the same config, ports and data, and it is ready again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import {
  parseConsoleCommand,
  runConsoleCommand,
  startDevConsole,
  type DevNodeControl,
} from '../../src/cli/commands/dev-console.ts';
import { freePortRange } from '../testing/free-ports.ts';
import { runDsv, stopDsv, type DsvProcess } from '../testing/dsv-process.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

describe('the dev console: one parser and runner for both dev clusters', () => {
  it('parses status, help, stop/start/restart <node> and explains anything else', () => {
    assert.deepEqual(parseConsoleCommand(''), { kind: 'status' });
    assert.deepEqual(parseConsoleCommand('  status '), { kind: 'status' });
    assert.deepEqual(parseConsoleCommand('help'), { kind: 'help' });
    assert.deepEqual(parseConsoleCommand('stop node-1'), { kind: 'stop', nodeId: 'node-1' });
    assert.deepEqual(parseConsoleCommand(' start   node-2'), { kind: 'start', nodeId: 'node-2' });
    assert.deepEqual(parseConsoleCommand('restart node-0'), { kind: 'restart', nodeId: 'node-0' });
    assert.equal(parseConsoleCommand('stop').kind, 'invalid');
    assert.equal(parseConsoleCommand('stop node-1 node-2').kind, 'invalid');
    assert.match(JSON.stringify(parseConsoleCommand('reboot node-1')), /unknown command \\"reboot\\"/);
  });

  it('runs the commands in order against any cluster, errors as lines', async () => {
    const running = new Map([
      ['node-0', true],
      ['node-1', true],
    ]);
    const calls: string[] = [];
    const control: DevNodeControl = {
      nodes: () => [...running].map(([nodeId, up]) => ({ nodeId, running: up, url: `http://${nodeId}` })),
      stopNode: async (nodeId) => {
        if (!running.has(nodeId)) throw new Error(`No node ${nodeId}`);
        await new Promise((resolve) => setTimeout(resolve, 20)); // slower than the next line arrives
        calls.push(`stop ${nodeId}`);
        running.set(nodeId, false);
      },
      startNode: async (nodeId) => {
        calls.push(`start ${nodeId}`);
        running.set(nodeId, true);
      },
    };
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const rl = startDevConsole(control, { input, output, terminal: false });
    input.write('stop node-1\nstatus\nstop node-1\nstart node-1\nrestart node-0\nstop node-9\nfrobnicate\n');
    await waitFor(() => text.includes('unknown command'), 5000);
    rl.close();
    assert.deepEqual(calls, ['stop node-1', 'start node-1', 'stop node-0', 'start node-0']);
    assert.deepEqual(text.trim().split('\n'), [
      'node-1 stopped',
      'node-0  running  http://node-0',
      'node-1  stopped  http://node-1',
      'node-1 is already stopped',
      'node-1 started',
      'node-0 restarted',
      'error: No node node-9',
      `unknown command "frobnicate"; commands: status | stop <node-id> | start <node-id> | restart <node-id> | help   (Ctrl-C quits)`,
    ]);
    const help: string[] = [];
    await runConsoleCommand(control, parseConsoleCommand('help'), (line) => help.push(line));
    assert.match(help[0] ?? '', /^commands: status \| stop <node-id> \| start <node-id>/);
  });
});

describe('dsv dev --kafka: the node console on stdin', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-dev-kafka-console-'));
  let dsv: DsvProcess | undefined;
  after(async () => {
    await stopDsv(dsv); // SIGINT: the node processes stop, then the broker
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'stop node-2: secrets still read (2 of 3), status shows it stopped; start node-2: ready again',
    {
      timeout: 420_000,
    },
    async () => {
      const port = await freePortRange(3);
      const url = (i: number) => `http://127.0.0.1:${port + i}`;
      dsv = runDsv(['dev', '--kafka', '--port', String(port), '--data-dir', dataDir], {}, { stdin: 'pipe' });
      const running = dsv;
      await running.waitFor(/DSV dev cluster ready/, 180_000);
      assert.match(running.output(), /Type "help" for node controls/);
      /** Sends one console line; resolves with the output after it once `pattern` shows there. */
      const send = async (line: string, pattern: RegExp, timeoutMs: number): Promise<string> => {
        const mark = running.output().length;
        running.child.stdin?.write(`${line}\n`);
        await waitFor(() => pattern.test(running.output().slice(mark)), timeoutMs, 100);
        return running.output().slice(mark);
      };
      const pidOf = (text: string, nodeId: string) =>
        /pid (\d+)/.exec(text.split('\n').find((line) => line.startsWith(`${nodeId}  running`)) ?? '')?.[1];

      assert.equal((await v1.create(url(0), 'dk', 'console/kept', 'through a stop')).status, 201);
      const before = await send('status', /^node-2 {2}running/m, 10_000);
      const oldPid = pidOf(before, 'node-2');
      assert.ok(oldPid, before);

      await send('stop node-2', /^node-2 stopped$/m, 30_000);
      // The process is gone (SIGTERM, waited for) and its port closed.
      assert.throws(() => process.kill(Number(oldPid), 0), /ESRCH/);
      await assert.rejects(fetch(`${url(2)}/livez`, { signal: AbortSignal.timeout(2000) }));
      for (const i of [0, 1]) {
        const read = await v1.read(url(i), 'dk', 'console/kept');
        assert.deepEqual(
          [read.status, read.body],
          [200, 'through a stop'],
          `node-${i} reads with node-2 down`,
        );
      }
      const status = await send('status', /^node-2 {2}stopped {2}http/m, 10_000);
      assert.match(status, /^node-0 {2}running {2}http:\/\/127\.0\.0\.1:\d+ {2}pid \d+$/m);
      assert.match(status, /^node-1 {2}running/m);
      assert.doesNotMatch(running.output(), /node-2 \(pid \d+\) exited unexpectedly/);

      await send('start node-2', /^node-2 started$/m, 120_000);
      await waitFor(
        async () => {
          const ready = await fetch(`${url(2)}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(
            () => null,
          );
          return ready?.status === 200;
        },
        60_000,
        250,
      );
      const read = await v1.read(url(2), 'dk', 'console/kept');
      assert.deepEqual([read.status, read.body], [200, 'through a stop'], 'node-2 serves again, same data');
      const after = await send('status', /^node-2 {2}running {2}http/m, 10_000);
      assert.equal(/^node-2 {2}running {2}(\S+)/m.exec(after)?.[1], url(2), 'the same port');
      assert.notEqual(pidOf(after, 'node-2'), oldPid, 'a new process');

      running.child.kill('SIGINT');
      assert.equal(await running.exited, 130);
    },
  );
});
