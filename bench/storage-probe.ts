// Storage per secret version on each node, end to end: a real 3-node dev cluster (envelope sealer, as
// `dsv dev`), 1 KiB values written through v1 PUTs; bytes of every file under each node's directory and of the
// embedded log, before and after, divided by the versions written. For the scale note.
// Run: node bench/storage-probe.ts [seconds of PUTs]. Not part of `npm run bench`.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ensureDevKeyFile, envelopeSealer } from '../src/node/sealers.ts';
import { startBenchCluster } from './embedded-cluster.ts';
import { runLoadInWorker } from './load-in-worker.ts';
import type { KeyState, WorkloadSpec } from './workload.ts';

const seconds = Number(process.argv[2] ?? 60);
const KEYS = 64;

/** Bytes per top-level entry of the data dir (a node's directory, the log), recursively. */
function sizes(dir: string): Map<string, number> {
  const total = (path: string): number => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.size;
    return readdirSync(path).reduce((sum, name) => sum + total(join(path, name)), 0);
  };
  return new Map(readdirSync(dir).map((name) => [name, total(join(dir, name))]));
}

const dataDir = mkdtempSync(join(tmpdir(), 'dsv-storage-'));
const sealer = envelopeSealer({ kind: 'key-file', path: ensureDevKeyFile(join(dataDir, 'dev-kek.key')) });
try {
  let cluster = await startBenchCluster({ dataDir: join(dataDir, 'cluster'), sealer });
  const base: Omit<WorkloadSpec, 'kind' | 'keys'> = {
    origins: cluster.urls,
    concurrency: 8,
    warmupMs: 0,
    durationMs: 60_000,
    maxRequests: KEYS,
    requestTimeoutMs: 10_000,
    user: 'bench',
    valueBytes: 1024,
  };
  const keys: KeyState[] = Array.from({ length: KEYS }, (_, i) => ({
    name: `k-${i}`,
    value: undefined,
    version: undefined,
  }));
  const seeded = await runLoadInWorker({ ...base, kind: 'v1-create', keys });
  await cluster.stop(); // closing SQLite checkpoints and removes the WAL: file sizes are settled
  const before = sizes(join(dataDir, 'cluster'));
  cluster = await startBenchCluster({ dataDir: join(dataDir, 'cluster'), sealer });
  const put = await runLoadInWorker({
    ...base,
    origins: cluster.urls,
    kind: 'v1-put',
    keys: seeded.keys,
    concurrency: 16,
    durationMs: seconds * 1000,
    maxRequests: 1_000_000,
  });
  await cluster.stop();
  const after = sizes(join(dataDir, 'cluster'));
  const node0 = sizes(join(dataDir, 'cluster', 'node-0'));
  const versions = put.okInWindow;
  console.log(
    `${versions} versions of 1 KiB values written in ${seconds} s; errors ${JSON.stringify(put.errors)}`,
  );
  for (const [name, bytes] of after) {
    const delta = bytes - (before.get(name) ?? 0);
    console.log(`${name}: ${bytes} B, +${delta} B → ${(delta / versions).toFixed(0)} B per version`);
  }
  const db = new DatabaseSync(join(dataDir, 'cluster', 'node-0', 'node.sqlite'), { readOnly: true });
  const pragma = (name: string) => String(Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]);
  console.log(
    `node-0 node.sqlite: page_size ${pragma('page_size')}, pages ${pragma('page_count')}, free ${pragma('freelist_count')}`,
  );
  try {
    const rows = db
      .prepare(
        'SELECT name, sum(pgsize) AS bytes, sum(unused) AS unused FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 8',
      )
      .all();
    for (const row of rows) console.log(`  ${JSON.stringify(row)}`);
  } catch {
    console.log('  (no dbstat in this SQLite build)');
  }
  db.close();
  console.log(`node-0 files: ${[...node0].map(([name, bytes]) => `${name} ${bytes} B`).join(', ')}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
