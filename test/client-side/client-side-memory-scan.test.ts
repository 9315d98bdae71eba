// Issue 9 acceptance: in client-side mode no node process ever holds the plaintext. Against `dsv dev --kafka`
// (the real CLI: a Kafka broker and one `dsv server` process per node), a random 32-byte value is written and
// read back through the client library, then the memory of every process of the cluster (the launcher, each
// node, the broker; /proc/<pid>/mem, every readable region) and every file under the data dir (node databases
// with their -wal files, audit trails, the broker's log segments) are searched for the value as raw bytes, hex,
// base64 and base64url. Nothing may be found. The control scenario then writes and reads another value through
// the server-side v2 API: the coordinator combines it, so the same scan must find it there, or the scan is
// broken. The control runs second, so that the first scan is not polluted by it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { DsvClient } from '../../client/index.ts';
import { runDsv, stopDsv, type DsvProcess } from '../testing/dsv-process.ts';
import { freePortRange } from '../testing/free-ports.ts';
import {
  commandLine,
  filesUnder,
  processTree,
  readableRegions,
  scanFiles,
  scanProcessMemory,
  valueNeedles,
  type Hit,
  type Needle,
} from '../testing/process-memory-scan.ts';

const NAMESPACE = 'scan';

interface Cluster {
  readonly launcher: number;
  readonly nodes: ReadonlyMap<number, string>;
  readonly urls: readonly string[];
  readonly token: string;
}

/** Why this machine cannot read a child's memory (not Linux, no ptrace permission), or undefined. */
async function memoryUnreadable(pid: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'reads /proc/<pid>/mem: Linux only';
  const [first] = await readableRegions(pid);
  if (!first) return `no readable region in /proc/${pid}/maps`;
  try {
    const mem = await open(`/proc/${pid}/mem`, 'r');
    try {
      await mem.read(Buffer.alloc(16), 0, 16, first.start);
    } finally {
      await mem.close();
    }
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return `cannot read /proc/${pid}/mem (${code}): needs ptrace permission over the node processes (run as root)`;
  }
}

interface ScanReport {
  readonly lines: string[];
  /** Hits per process (pid → hits) and in files. */
  readonly processHits: ReadonlyMap<number, readonly Hit[]>;
  readonly fileHits: readonly Hit[];
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

/** Scans every process of the cluster (the launcher and everything below it) and every file of `dirs`. */
async function scanCluster(
  cluster: Cluster,
  needles: readonly Needle[],
  dirs: string[],
): Promise<ScanReport> {
  const lines: string[] = [];
  const processHits = new Map<number, readonly Hit[]>();
  const began = performance.now();
  const pids = await processTree(cluster.launcher);
  for (const node of cluster.nodes.keys())
    assert.ok(pids.includes(node), `node pid ${node} is under dsv dev`);
  for (const pid of pids) {
    const name =
      pid === cluster.launcher
        ? 'dsv dev (launcher)'
        : (cluster.nodes.get(pid) ?? (await commandLine(pid)).slice(0, 40));
    // Stopped while it is read (SIGSTOP … SIGCONT): no region is freed or moved between its maps and its reads.
    const result = await scanProcessMemory(pid, needles, { freeze: true });
    assert.notEqual(await processState(pid), 'T', `pid ${pid} runs again after its scan`);
    processHits.set(pid, result.hits);
    // A node process maps about 900 MiB readable: a scan that read little of it proves nothing.
    if (pid === cluster.launcher || cluster.nodes.has(pid))
      assert.ok(result.bytes > 256 * 1024 ** 2, `pid ${pid} ${name}: only ${mib(result.bytes)} read`);
    lines.push(
      `pid ${pid} ${name}: ${mib(result.bytes)} in ${result.units} regions, ${result.skipped.length} unreadable ` +
        `(${result.skipped.map((why) => why.split(': ')[0]!.split(' ').slice(2).join(' ') || 'anonymous').join(' ')}), ` +
        `${result.hits.length} hits` +
        result.hits.map((hit) => `\n    ${hit.needle} in ${hit.where} +${hit.offset}`).join(''),
    );
  }
  // Every node's database with its WAL, and the broker's segments of the DSV topic, are among the files.
  const names = (await Promise.all(dirs.map(filesUnder))).flat();
  for (const nodeId of cluster.nodes.values())
    assert.ok(
      names.some((file) => file.endsWith(join(nodeId, 'data', 'node.sqlite-wal'))),
      nodeId,
    );
  assert.ok(
    names.some((file) => /dsv-log-\d+[/\\]\d+\.log$/.test(file)),
    'a Kafka segment of dsv-log',
  );
  const files = await scanFiles(dirs, needles);
  lines.push(
    `files: ${files.units} under the data dir (${mib(files.bytes)}), ${files.skipped.length} unreadable, ` +
      `${files.hits.length} hits` +
      files.hits.map((hit) => `\n    ${hit.needle} in ${hit.where} +${hit.offset}`).join(''),
  );
  lines.push(
    `${needles.length} needles (${needles.map((needle) => needle.label).join(', ')}); ` +
      `${((performance.now() - began) / 1000).toFixed(1)} s`,
  );
  return { lines, processHits, fileHits: files.hits };
}

/** The state letter of /proc/<pid>/stat (R, S, D, T for stopped…), or '' once the process has exited. */
async function processState(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

function report(t: TestContext, title: string, scan: ScanReport): void {
  t.diagnostic(title);
  for (const line of scan.lines) t.diagnostic(`  ${line}`);
}

/** The v2 answer's value as bytes (text unless the server marked it base64). */
function valueOf(answer: { value: string; encoding?: string }): Buffer {
  return Buffer.from(answer.value, answer.encoding === 'base64' ? 'base64' : 'utf8');
}

describe('client-side mode: no node process holds the plaintext (issue 9)', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsv-client-side-scan-'));
  let dsv: DsvProcess | undefined;
  let cluster: Cluster | undefined;
  let unreadable: string | undefined;

  before(async () => {
    const port = await freePortRange(3);
    dsv = runDsv(['dev', '--kafka', '--port', String(port), '--data-dir', dataDir]);
    // Up to three minutes for a first fetch of the broker's jars; about 20 s once they are cached.
    const output = await dsv.waitFor(/DSV dev cluster ready/, 180_000);
    const nodes = new Map(
      [...output.matchAll(/^(node-\d+)\s+(http:\/\/\S+)\s+pid (\d+)$/gm)].map((m) => [Number(m[3]), m[1]!]),
    );
    const urls = [...output.matchAll(/^node-\d+\s+(http:\/\/\S+)\s+pid \d+$/gm)].map((m) => m[1]!);
    // I-T4: root reads no secrets on `dsv server` nodes; the default tenant's admin (named by the launcher) does.
    const token = /^Default tenant admin token: (\S+)$/m.exec(output)?.[1];
    assert.equal(nodes.size, 3, output);
    assert.ok(token, output);
    cluster = { launcher: dsv.child.pid!, nodes, urls, token };
    unreadable = await memoryUnreadable([...nodes.keys()][0]!);
  });

  after(async () => {
    await stopDsv(dsv); // SIGINT: the node processes stop, then the broker
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('A: a value put and got client-side is in no process of the cluster and in no file', async (t) => {
    if (unreadable) return t.skip(unreadable);
    const { urls, token } = cluster!;
    const value = randomBytes(32);
    // Written through node-1 and read through node-2: two coordinators, and every holder, see the key. The
    // clients pin the topology node-1 answers (the scan does not play a lying node).
    const topology = await DsvClient.fetchTopology(urls[1]!);
    const put = await new DsvClient({ url: urls[1]!, token, ...topology }).put(
      NAMESPACE,
      'client-side',
      value,
    );
    assert.deepEqual(put, { version: 1, created: true, unchanged: false });
    const got = await new DsvClient({ url: urls[2]!, token, ...topology }).get(NAMESPACE, 'client-side');
    assert.equal(got.version, 1);
    assert.ok(Buffer.from(got.value).equals(value), 'the value reads back');
    got.value.fill(0);

    const scan = await scanCluster(cluster!, valueNeedles(value), [dataDir]);
    report(t, 'scan after a client-side put and get:', scan);
    for (const [pid, hits] of scan.processHits) {
      assert.deepEqual(hits, [], `pid ${pid} holds the value\n${scan.lines.join('\n')}`);
    }
    assert.deepEqual(scan.fileHits, [], `a file holds the value\n${scan.lines.join('\n')}`);
  });

  it('B (control): a value put and got server-side is found in the coordinator, so the scan works', async (t) => {
    if (unreadable) return t.skip(unreadable);
    const { urls, token } = cluster!;
    const value = randomBytes(32);
    const path = `/v2/secrets/${NAMESPACE}/server-side`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const put = await fetch(`${urls[0]}${path}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ value: value.toString('base64'), encoding: 'base64' }),
    });
    assert.equal(put.status, 201, await put.text());
    const got = await fetch(`${urls[0]}${path}`, { headers });
    assert.equal(got.status, 200);
    assert.ok(valueOf((await got.json()) as { value: string; encoding?: string }).equals(value));

    const scan = await scanCluster(cluster!, valueNeedles(value), [dataDir]);
    report(t, 'scan after a server-side put and get (control):', scan);
    // node-0 served both: it split the value on the put and combined it on the get.
    const coordinator = [...cluster!.nodes].find(([, nodeId]) => nodeId === 'node-0')![0];
    assert.ok(
      (scan.processHits.get(coordinator) ?? []).length > 0,
      `the scan did not find the server-side value in its coordinator: the scanner is broken\n${scan.lines.join('\n')}`,
    );
    // Shards are sealed at rest (I-S1): even server-side, no file holds the value.
    assert.deepEqual(scan.fileHits, [], scan.lines.join('\n'));
  });
});
