// `dsv dev --kafka` end to end: a real broker, three `dsv server` processes with mutual TLS between them,
// v1 across nodes, `dsv status`, a dying node reported, and Ctrl-C leaving no process behind (DESIGN §2, §9).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Producer, type BaseOptions } from '@platformatic/kafka';
import { runDsv, type DsvProcess } from '../testing/dsv-process.ts';
import { freePortRange } from '../testing/free-ports.ts';
import { v1 } from '../testing/v1-client.ts';
import { waitFor } from '../testing/wait.ts';

interface NodeLine {
  readonly nodeId: string;
  readonly url: string;
  readonly pid: number;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every process whose command line mentions `text` (the nodes' configs and the broker live under it). */
const processesMentioning = (text: string): string[] =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'));

const portOpen = (address: string): Promise<boolean> =>
  new Promise((resolve) => {
    const [host, port] = address.split(':');
    const socket = connect({ host: host ?? '127.0.0.1', port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** Whether one produce with these connection options fails (the broker refuses it). */
async function produceRefused(
  broker: string,
  topic: string,
  connection: Pick<BaseOptions, 'tls' | 'sasl'>,
): Promise<boolean> {
  const producer = new Producer({
    ...connection,
    clientId: 'dsv-mp-probe',
    bootstrapBrokers: [broker],
    retries: 0,
    timeout: 5000,
    connectTimeout: 3000,
    autocreateTopics: false,
  });
  try {
    await producer.send({ messages: [{ topic, partition: 0, value: Buffer.from('x') }] });
    return false;
  } catch {
    return true;
  } finally {
    await producer.close().catch(() => undefined);
  }
}

describe('dsv dev --kafka (multi-process cluster)', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-mp-'));
  let dsv: DsvProcess;
  let nodes: NodeLine[] = [];
  let broker = '';

  before(async () => {
    const port = await freePortRange(3);
    const started = Date.now();
    dsv = runDsv(['dev', '--kafka', '--port', String(port), '--data-dir', dataDir], {
      DSV_UNSEAL_PASSPHRASE: 'correct horse battery staple',
    });
    await dsv.waitFor(/cluster ready/, 240_000);
    process.stderr.write(`dsv dev --kafka ready in ${Date.now() - started} ms\n`);
    nodes = [...dsv.output().matchAll(/^(node-\d+)\s+(http:\/\/\S+)\s+pid (\d+)$/gm)].map((match) => ({
      nodeId: match[1] ?? '',
      url: match[2] ?? '',
      pid: Number(match[3]),
    }));
    broker = /^kafka\s+(\S+)/m.exec(dsv.output())?.[1] ?? '';
  });

  after(() => {
    if (dsv?.child.exitCode === null) dsv.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints one line per node with its URL and process id, and a ready line', () => {
    assert.deepEqual(
      nodes.map((node) => node.nodeId),
      ['node-0', 'node-1', 'node-2'],
    );
    for (const node of nodes) {
      assert.ok(alive(node.pid), `${node.nodeId} runs as its own process`);
      assert.notEqual(node.pid, dsv.child.pid);
    }
    assert.match(dsv.output(), /anonymous v1 access is allowed/);
    assert.match(broker, /^127\.0\.0\.1:\d+$/);
  });

  it('nodes call each other over https (mutual TLS) per the cluster init files', () => {
    const config = JSON.parse(readFileSync(join(dataDir, 'cluster', 'node-0.json'), 'utf8')) as {
      members: Array<{ peerUrl: string }>;
      tls: { caFile: string };
    };
    assert.ok(config.members.every((member) => member.peerUrl.startsWith('https://')));
    assert.ok(config.tls.caFile.length > 0);
  });

  it('nodes reach Kafka over TLS with their own SCRAM user; the broker refuses plaintext and no credentials', async () => {
    assert.match(dsv.output(), /^kafka\s+\S+\s+\(1 broker, SASL_SSL/m);
    const cluster = join(dataDir, 'cluster');
    const configs = nodes.map(
      (_, i) =>
        JSON.parse(readFileSync(join(cluster, `node-${i}.json`), 'utf8')) as {
          log: {
            bootstrap: string[];
            topic: string;
            tls?: { caFile: string };
            sasl?: { mechanism: string; username: string; passwordFile: string };
          };
        },
    );
    for (const [i, config] of configs.entries()) {
      assert.deepEqual(config.log.bootstrap, [broker], 'the config names the broker it runs on');
      assert.equal(config.log.sasl?.mechanism, 'SCRAM-SHA-512');
      assert.equal(config.log.sasl?.username, `dsv-node-${i}`);
      const mode = statSync(join(cluster, config.log.sasl?.passwordFile ?? '')).mode & 0o777;
      assert.equal(mode, 0o600, `node-${i}'s Kafka password file is 0600`);
    }
    const ca = readFileSync(join(cluster, configs[0]?.log.tls?.caFile ?? ''), 'utf8');
    const topic = configs[0]?.log.topic ?? '';
    assert.ok(await produceRefused(broker, topic, {}), 'plaintext is refused');
    assert.ok(await produceRefused(broker, topic, { tls: { ca } }), 'TLS without SASL is refused');
  });

  it('a v1 create on node 0 reads back on node 2 (ordered through Kafka, shards over mTLS)', async () => {
    const [first, , third] = nodes;
    assert.ok(first && third);
    assert.equal((await v1.create(first.url, 'mp', 'db/password', 's3cret')).status, 201);
    const read = await v1.read(third.url, 'mp', 'db/password');
    assert.deepEqual([read.status, read.body], [200, 's3cret']);
  });

  it('dsv status prints every node with its health, applied offsets and lag', async () => {
    const status = runDsv(['status', '--url', nodes[0]?.url ?? '']);
    assert.equal(await status.exited, 0, status.output());
    for (const node of nodes)
      assert.match(status.output(), new RegExp(`^${node.nodeId}\\s+(self|healthy)\\s+ready\\s+\\d+`, 'm'));
    const json = runDsv(['status', '--url', nodes[1]?.url ?? '', '--json']);
    assert.equal(await json.exited, 0);
    const parsed = JSON.parse(json.output()) as {
      cluster: { healthyNodes: number };
      node: { nodeId: string };
    };
    assert.deepEqual([parsed.cluster.healthyNodes, parsed.node.nodeId], [3, 'node-1']);
  });

  it('a node process that dies is reported, and reads still succeed with k of n nodes', async () => {
    const victim = nodes[1];
    assert.ok(victim);
    process.kill(victim.pid, 'SIGKILL');
    await dsv.waitFor(new RegExp(`node-1 \\(pid ${victim.pid}\\) exited unexpectedly`), 10_000);
    const read = await v1.read(nodes[0]?.url ?? '', 'mp', 'db/password');
    assert.deepEqual([read.status, read.body], [200, 's3cret']);
  });

  it('Ctrl-C stops every node and the broker; no process is left', async () => {
    assert.equal(await portOpen(broker), true);
    dsv.child.kill('SIGINT');
    assert.equal(await dsv.exited, 130);
    for (const node of nodes) assert.equal(alive(node.pid), false, `${node.nodeId} is gone`);
    await waitFor(async () => !(await portOpen(broker)), 5_000);
    assert.deepEqual(processesMentioning(dataDir), []);
  });
});
