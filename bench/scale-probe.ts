// Figures for the scale note (docs/design/2026_11_22_proposed_scale.md), measured on this machine:
// (1) records/s through one node's state machine + view (the applier's work per record, DESIGN §5), in
// transactions of 512 records (a node catching up) and of 1 record (a quiet node: one fsync per record);
// (2) log bytes per write (intent + commit, encoded as the coordinator encodes them).
// Run: node bench/scale-probe.ts [writes]. Not part of `npm run bench`.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ControlStore } from '../src/control/control-store.ts';
import { inTransaction, openNodeDatabase } from '../src/platform/node-database.ts';
import { LogCodec, SecretStateMachine, type LogEntry } from '../src/secrets/index.ts';
import { createClusterIdentity, loadTrustMaterial } from '../src/trust/index.ts';
import { SqliteShardStore } from '../src/shards/sqlite/sqlite-shard-store.ts';
import { ViewStore } from '../src/view/index.ts';

const writes = Number(process.argv[2] ?? 20_000);
const KEYS = 1000;
const TENANT = 'default';

// Records are sealed and signed as a node seals them (I-L5, I-L7), and opened and verified on apply.
const trustDir = mkdtempSync(join(tmpdir(), 'dsv-scale-trust-'));
createClusterIdentity({ dir: trustDir, nodeDirs: new Map([['node-0', join(trustDir, 'node-0')]]) });
const trust = loadTrustMaterial(join(trustDir, 'node-0'));
const codec = new LogCodec(trust.manifest, trust.logKey, {
  signer: 'node-0',
  privateKey: trust.identity.signingKey,
});
const encodeEntry = (entry: LogEntry): Uint8Array => codec.encode(0, entry);

/** The records of write i: an intent (create the first time a key is seen, then update) and its commit. */
function recordsOf(i: number): LogEntry[] {
  const writeId = `w-${i.toString(36).padStart(8, '0')}-${'x'.repeat(14)}`; // writeIds are ~22 chars
  const time = 1_700_000_000_000 + i;
  return [
    {
      type: 'intent',
      writeId,
      tenant: TENANT,
      time,
      coordinator: 'node-0',
      endorsements: [],
      ops: [{ op: i < KEYS ? 'create' : 'update', namespace: 'bench', name: `bench-key-${i % KEYS}` }],
    },
    { type: 'commit', writeId, tenant: TENANT, time: time + 1, shards: [] },
  ];
}

function applyAll(
  batch: number,
  count: number,
): { recordsPerSecond: number; versions: number; dbBytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-scale-'));
  try {
    const db = openNodeDatabase(join(dir, 'node.sqlite'));
    const view = new ViewStore(db);
    const passThrough = {
      kind: 'probe',
      seal: async (_: unknown, s: Uint8Array) => s,
      open: async (_: unknown, s: Uint8Array) => s,
    };
    const shards = new SqliteShardStore(db, passThrough, 'node-0');
    const machine = new SecretStateMachine(view, shards, {
      pendingTimeoutMs: 30_000,
      control: new ControlStore(db, 'node-0'),
    });
    const encoded = Array.from({ length: count }, (_, i) => recordsOf(i).map(encodeEntry)).flat();
    const began = performance.now();
    for (let from = 0; from < encoded.length; from += batch) {
      inTransaction(db, () => {
        for (let offset = from; offset < Math.min(from + batch, encoded.length); offset++)
          machine.apply(0, offset, codec.decode(0, encoded[offset]!, 1_700_000_000_000 + offset));
      });
    }
    const seconds = (performance.now() - began) / 1000;
    const versions = (db.prepare('SELECT count(*) AS n FROM view_versions').get() as { n: number }).n;
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
    return {
      recordsPerSecond: encoded.length / seconds,
      versions,
      dbBytes: statSync(join(dir, 'node.sqlite')).size,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [intent, commit] = recordsOf(KEYS + 1).map((entry) => encodeEntry(entry).byteLength);
console.log(
  `log record bytes (JSON value): intent ${intent}, commit ${commit} → ${intent! + commit!} per write`,
);
for (const batch of [512, 1]) {
  // One fsync per transaction (synchronous = FULL): the 1-record run is bounded to stay short.
  const result = applyAll(batch, batch === 1 ? Math.min(writes, 2000) : writes);
  console.log(
    `apply, ${batch} record(s) per transaction: ${Math.round(result.recordsPerSecond)} records/s ` +
      `(${Math.round(result.recordsPerSecond / 2)} writes/s); ${result.versions} versions; ` +
      `view-only db ${(result.dbBytes / Math.max(1, result.versions)).toFixed(0)} B per version`,
  );
}
